/** The parent's side of the load generator process (bench/heartbeats/agent-load.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { type ChildReport, isChildReport, type ParentCommand } from './protocol';
import { log } from './util';

const STOP_TIMEOUT_MS = 15_000;

export type ReportOf<T extends ChildReport['type']> = Extract<ChildReport, { type: T }>;

interface Waiter {
  type: ChildReport['type'];
  resolve: (report: ChildReport) => void;
  reject: (error: Error) => void;
}

/** The forked load generator: commands go out, the matching report comes back as a promise. */
export class LoadGenerator {
  private waiters: Waiter[] = [];

  constructor(
    readonly child: ChildProcess,
    private readonly onProgress: (report: ChildReport) => void,
  ) {
    child.on('message', (message: unknown) => {
      if (isChildReport(message)) this.dispatch(message);
    });
    child.once('exit', (code, signal) => this.failAll(new Error(`load generator exited (${code ?? signal})`)));
  }

  static start(onProgress: (report: ChildReport) => void): LoadGenerator {
    // An explicit loader rather than process.execArgv, so it works however the parent was started.
    const child = fork(join(__dirname, 'agent-load.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new LoadGenerator(child, onProgress);
  }

  request<T extends ChildReport['type']>(command: ParentCommand, reply: T, timeoutMs: number): Promise<ReportOf<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator: no "${reply}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type: reply,
        resolve: (report) => {
          clearTimeout(timer);
          resolve(report as ReportOf<T>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private dispatch(report: ChildReport): void {
    if (report.type === 'failed') return this.failAll(new Error(`load generator: ${report.message}`));
    const index = this.waiters.findIndex((w) => w.type === report.type);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(report);
    else this.onProgress(report);
  }

  private failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

export function progressLogger(agents: number): (report: ChildReport) => void {
  let previous = { acked: 0, sinceStartMs: 0 };
  return (report) => {
    if (report.type === 'connect-progress') {
      log(`connecting agents: ${report.connected}/${report.total}${report.failed > 0 ? `, ${report.failed} failed` : ''}`);
    } else if (report.type === 'beat-progress') {
      const t = report.totals;
      const rate = ((t.acked - previous.acked) * 1000) / Math.max(1, report.sinceStartMs - previous.sinceStartMs);
      log(`beating: ${t.acked} acked (${rate.toFixed(0)}/s), ${t.refused} ok:false, ${t.timeouts} timeouts, ${report.open}/${agents} sockets open`);
      previous = { acked: t.acked, sinceStartMs: report.sinceStartMs };
    }
  };
}

/**
 * The parent's side of a helper process forked by a benchmark (load generators, baselines):
 * commands go out over Node's IPC channel and the matching report comes back as a promise.
 * Reports nobody waits for go to `onProgress`; a report of type 'failed' rejects every waiter.
 */
import { type ChildProcess, fork } from 'node:child_process';

const STOP_TIMEOUT_MS = 15_000;

export interface TypedMessage {
  type: string;
}

interface Waiter<Report> {
  type: string;
  resolve: (report: Report) => void;
  reject: (error: Error) => void;
}

export function isTypedMessage(message: unknown): message is TypedMessage {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

export class IpcChild<Command extends TypedMessage, Report extends TypedMessage> {
  private waiters: Waiter<Report>[] = [];

  constructor(
    readonly child: ChildProcess,
    private readonly label: string,
    private readonly onProgress: (report: Report) => void,
  ) {
    child.on('message', (message: unknown) => {
      if (isTypedMessage(message)) this.dispatch(message as Report);
    });
    child.once('exit', (code, signal) => this.failAll(new Error(`${label} exited (${code ?? signal})`)));
  }

  /** Forks a TypeScript entry point with the tsx loader; its stdout/stderr go to ours. */
  static fork<C extends TypedMessage, R extends TypedMessage>(entry: string, label: string, onProgress: (report: R) => void, nodeArgs: string[] = []): IpcChild<C, R> {
    // An explicit loader rather than process.execArgv, so it works however the parent was started.
    const child = fork(entry, [], {
      execArgv: [...nodeArgs, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new IpcChild<C, R>(child, label, onProgress);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T extends Report['type']>(command: Command, reply: T, timeoutMs: number): Promise<Extract<Report, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no "${reply}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type: reply,
        resolve: (report) => {
          clearTimeout(timer);
          resolve(report as Extract<Report, { type: T }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send(command);
    });
  }

  /** A command that has no reply. */
  send(command: Command): void {
    this.child.send(command);
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGTERM (the child closes its connections and exits), SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    if (this.hasExited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private dispatch(report: Report): void {
    if (report.type === 'failed') {
      const message = (report as { message?: unknown }).message;
      return this.failAll(new Error(`${this.label}: ${typeof message === 'string' ? message : 'failed'}`));
    }
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

/** The parent's side of the load generator process (bench/heartbeats/agent-load.ts). */
import { join } from 'node:path';
import { IpcChild } from '../common/ipc-child';
import { log } from '../common/util';
import type { ChildReport, ParentCommand } from './protocol';

export type ReportOf<T extends ChildReport['type']> = Extract<ChildReport, { type: T }>;

/** The forked load generator: commands go out, the matching report comes back as a promise. */
export type LoadGenerator = IpcChild<ParentCommand, ChildReport>;

export const LoadGenerator = {
  start(onProgress: (report: ChildReport) => void): LoadGenerator {
    return IpcChild.fork<ParentCommand, ChildReport>(join(__dirname, 'agent-load.ts'), 'load generator', onProgress);
  },
};

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

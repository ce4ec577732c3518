/**
 * Messages between the benchmark (parent) and the agent load generator (child process) over
 * Node's IPC channel. The parent drives the phases; the child only reports.
 */

export type ParentCommand =
  /** Each agent starts beating as soon as it is registered, as a real agent would. */
  | { type: 'connect'; url: string; tokens: string[]; concurrency: number; intervalMs: number }
  | { type: 'open-window' }
  | { type: 'close-window' }
  | { type: 'stop-beats' };

/** Cumulative beat counters since the first agent started beating (warm-up included). */
export interface BeatCounters {
  sent: number;
  acked: number;
  /** Acks with ok:false. */
  refused: number;
  /** No ack within the timeout. */
  timeouts: number;
  /** Sockets that dropped before the end (they are not reconnected). */
  disconnects: number;
  /** Wall-clock time (ms since the epoch) of the last ok ack; 0 if none. */
  lastAckAt: number;
}

/** What the load generator saw during the measurement window. */
export interface WindowReport {
  durationMs: number;
  sent: number;
  acked: number;
  refused: number;
  timeouts: number;
  rttP50Ms: number;
  rttP99Ms: number;
  rttMaxMs: number;
  /** CPU time of the load generator as a share of one core. */
  cpuPercent: number;
  /** p99 event-loop delay of the load generator (beyond the sampling interval): inflates the round trips it measures. */
  loopDelayP99Ms: number;
  /** Cumulative counters when the window closed, to compare with rows already in Postgres. */
  totals: BeatCounters;
  /** One ok:false error text, to name the problem in the report. */
  sampleError: string | null;
}

export type ChildReport =
  | { type: 'connect-progress'; connected: number; failed: number; total: number }
  | { type: 'connected'; connected: number; failed: number; sampleError: string | null }
  | { type: 'beat-progress'; totals: BeatCounters; open: number; sinceStartMs: number }
  | { type: 'window-opened' }
  | { type: 'window'; report: WindowReport }
  | { type: 'beats-stopped'; totals: BeatCounters }
  | { type: 'failed'; message: string };

export function isChildReport(message: unknown): message is ChildReport {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

export function isParentCommand(message: unknown): message is ParentCommand {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

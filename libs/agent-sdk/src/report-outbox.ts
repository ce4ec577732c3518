import { reconnectDelay, type ReconnectOptions } from './backoff';
import type { AckError, TaskAckPayload, TaskFailPayload, TaskResultPayload } from './contract';

/** The reports that must reach the coordinator; progress is best-effort and never queued. */
export type TaskReport =
  | { event: 'task.ack'; payload: TaskAckPayload }
  | { event: 'task.result'; payload: TaskResultPayload }
  | { event: 'task.fail'; payload: TaskFailPayload };

/**
 * What became of one send. `offline`: nothing was sent, or the connection dropped before an
 * answer (the report waits for `resume`). `no-answer`: no ack in time on a live connection.
 */
export type SendOutcome = { kind: 'ok' } | { kind: 'refused'; error: AckError } | { kind: 'no-answer' } | { kind: 'offline' };

/** Refusals after which no report about that attempt can succeed: the attempt is not this agent's any more. */
const ATTEMPT_GONE: ReadonlySet<AckError['code']> = new Set(['superseded', 'not_found', 'forbidden']);

export function isAttemptGone(error: AckError): boolean {
  return ATTEMPT_GONE.has(error.code);
}

export const DEFAULT_REPORT_RETRY: Readonly<ReconnectOptions> = Object.freeze({ initialDelayMs: 250, maxDelayMs: 10_000 });

export interface ReportOutboxOptions {
  send(report: TaskReport): Promise<SendOutcome>;
  /** Backoff between sends of a report the connection is up for but that got no (usable) answer. */
  retry?: ReconnectOptions;
  /**
   * A refusal that retrying cannot change. `attemptGone`: the coordinator no longer counts the
   * attempt as this agent's (superseded, not_found, forbidden), and every report still queued
   * for it was dropped with this one; otherwise (validation_failed) only this report was.
   */
  onRefused(report: TaskReport, error: AckError, attemptGone: boolean): void;
  onRetry?(report: TaskReport, outcome: SendOutcome, delayMs: number): void;
}

interface AttemptQueue {
  taskId: string;
  token: string;
  /** In order: an attempt's ack goes before its result. Only the head is ever in flight. */
  reports: TaskReport[];
  sending: boolean;
  /** Sends of the head that got no usable answer, for the backoff. */
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Carries task reports to the coordinator until it has them. Each report is sent with an ack
 * timeout and sent again (with backoff while connected, at once after the next registration)
 * until the coordinator acknowledges it, or refuses it for good. Reports about one attempt
 * go one at a time and in order; different attempts do not wait for each other.
 */
export class ReportOutbox {
  private readonly queues = new Map<string, AttemptQueue>();
  private readonly retry: ReconnectOptions;
  private emptyWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: ReportOutboxOptions) {
    this.retry = options.retry ?? DEFAULT_REPORT_RETRY;
  }

  /** Reports not acknowledged yet. */
  get size(): number {
    let size = 0;
    for (const queue of this.queues.values()) size += queue.reports.length;
    return size;
  }

  has(taskId: string, token: string): boolean {
    return this.queues.has(keyOf(taskId, token));
  }

  add(report: TaskReport): void {
    if (this.closed) return;
    const { task_id: taskId, fencing_token: token } = report.payload;
    const key = keyOf(taskId, token);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { taskId, token, reports: [], sending: false, failures: 0, timer: undefined };
      this.queues.set(key, queue);
    }
    queue.reports.push(report);
    void this.pump(queue);
  }

  /** Forgets every report about the attempt; the answer to one in flight is ignored. Returns how many were dropped. */
  drop(taskId: string, token: string): number {
    const key = keyOf(taskId, token);
    const queue = this.queues.get(key);
    if (!queue) return 0;
    this.remove(key, queue);
    return queue.reports.length;
  }

  /** The connection is (again) able to carry reports: send everything waiting, without backoff. */
  resume(): void {
    for (const queue of this.queues.values()) {
      if (queue.sending) continue;
      clearTimeout(queue.timer);
      queue.timer = undefined;
      queue.failures = 0;
      void this.pump(queue);
    }
  }

  /** Resolves true once every report is acknowledged (or dropped), false if `timeoutMs` passes first. */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.queues.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onEmpty = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.emptyWaiters = this.emptyWaiters.filter((waiter) => waiter !== onEmpty);
        resolve(false);
      }, timeoutMs);
      this.emptyWaiters.push(onEmpty);
    });
  }

  /** Stops sending and forgets what is left; returns what was never acknowledged. */
  close(): TaskReport[] {
    this.closed = true;
    const left = [...this.queues.values()].flatMap((queue) => queue.reports);
    for (const [key, queue] of this.queues) this.remove(key, queue);
    return left;
  }

  private async pump(queue: AttemptQueue): Promise<void> {
    const key = keyOf(queue.taskId, queue.token);
    while (!this.closed && !queue.sending && !queue.timer && queue.reports.length > 0) {
      const report = queue.reports[0];
      queue.sending = true;
      let outcome: SendOutcome;
      try {
        outcome = await this.options.send(report);
      } catch {
        // send is not supposed to throw; if it does, treat it like a lost answer.
        outcome = { kind: 'no-answer' };
      }
      queue.sending = false;
      // Dropped (cancelled, superseded) or closed while the report was in flight.
      if (this.queues.get(key) !== queue) return;

      if (outcome.kind === 'ok') {
        queue.reports.shift();
        queue.failures = 0;
        continue;
      }
      if (outcome.kind === 'refused' && isFinalRefusal(outcome.error)) {
        const attemptGone = isAttemptGone(outcome.error);
        if (attemptGone) this.remove(key, queue);
        else queue.reports.shift();
        this.options.onRefused(report, outcome.error, attemptGone);
        if (attemptGone) return;
        continue;
      }
      // Offline: nothing to do until resume(), which the next registration calls.
      if (outcome.kind === 'offline') return;
      queue.failures++;
      const delayMs = reconnectDelay(queue.failures, this.retry);
      this.options.onRetry?.(report, outcome, delayMs);
      queue.timer = setTimeout(() => {
        queue.timer = undefined;
        void this.pump(queue);
      }, delayMs);
      return;
    }
    if (queue.reports.length === 0 && this.queues.get(key) === queue) this.remove(key, queue);
  }

  private remove(key: string, queue: AttemptQueue): void {
    clearTimeout(queue.timer);
    queue.timer = undefined;
    this.queues.delete(key);
    if (this.queues.size === 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }
}

/** Refusals that will not change by sending again; the rest (rate_limited, not_registered, internal...) are retried. */
function isFinalRefusal(error: AckError): boolean {
  return isAttemptGone(error) || error.code === 'validation_failed';
}

function keyOf(taskId: string, token: string): string {
  return `${taskId}\n${token}`;
}

/** At most one progress report per task per this interval reaches the coordinator (5 a second). */
export const PROGRESS_INTERVAL_MS = 200;

/**
 * Paces one task's progress reports: the first goes out at once, later ones at most once per
 * interval, and the latest value always gets out (at the end of the interval, or at `flush`).
 * A handler calling progress in a tight loop then costs a few messages a second, and the
 * coordinator still ends up with the last figure.
 */
export class ProgressThrottle<T> {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: { value: T } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly send: (value: T) => void,
    private readonly intervalMs: number = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(value: T): void {
    if (this.closed) return;
    const waitMs = this.lastSentAt + this.intervalMs - this.now();
    if (waitMs <= 0 && !this.timer) {
      this.emit(value);
      return;
    }
    this.pending = { value };
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.sendPending();
    }, Math.max(0, waitMs));
  }

  /** Sends the value held back, if any, now (before the task's outcome goes out). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sendPending();
  }

  /** Drops the value held back and ignores later pushes. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private sendPending(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending && !this.closed) this.emit(pending.value);
  }

  private emit(value: T): void {
    this.lastSentAt = this.now();
    this.send(value);
  }
}

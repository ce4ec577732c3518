import { DuplicateTaskError } from './errors';

/**
 * Knows which tasks this agent is running, for the heartbeat (status, queue_depth,
 * current_task_id) and for a graceful stop (wait for them, or abort them past a deadline).
 * Every task handed to `run` starts at once; the server is the one that respects the agent's
 * max_concurrency, so there is no local queue.
 */
export class TaskTracker {
  private readonly running = new Map<string, AbortController>();
  private idleWaiters: Array<() => void> = [];

  get runningCount(): number {
    return this.running.size;
  }

  get isBusy(): boolean {
    return this.running.size > 0;
  }

  /** The longest-running task (Map keeps insertion order), or null when idle. */
  get currentTaskId(): string | null {
    const first = this.running.keys().next();
    return first.done ? null : first.value;
  }

  get runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  has(taskId: string): boolean {
    return this.running.has(taskId);
  }

  /**
   * Runs `work` as task `taskId`, counted until it settles (resolved or rejected). The signal
   * aborts when `abort`/`abandon`/`abortAll` is called for it. A task id already running is
   * refused.
   */
  async run<T>(taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(taskId)) throw new DuplicateTaskError(taskId);
    const controller = new AbortController();
    this.running.set(taskId, controller);
    try {
      return await work(controller.signal);
    } finally {
      // An abandoned run is no longer in the map, and a newer run of the same id may be.
      if (this.running.get(taskId) === controller) {
        this.running.delete(taskId);
        if (this.running.size === 0) this.notifyIdle();
      }
    }
  }

  abort(taskId: string, reason?: unknown): boolean {
    const controller = this.running.get(taskId);
    if (!controller) return false;
    controller.abort(reason);
    return true;
  }

  /**
   * Aborts the run and stops counting it at once, even if its work has not settled yet: for
   * a run nobody wants the outcome of any more (cancelled, or replaced by a newer attempt of
   * the same task). The id is free again, and the agent does not report itself busy with work
   * the coordinator has already taken back.
   */
  abandon(taskId: string, reason?: unknown): boolean {
    const controller = this.running.get(taskId);
    if (!controller) return false;
    this.running.delete(taskId);
    controller.abort(reason);
    if (this.running.size === 0) this.notifyIdle();
    return true;
  }

  abortAll(reason?: unknown): string[] {
    const ids = this.runningTaskIds;
    for (const id of ids) this.abort(id, reason);
    return ids;
  }

  /** Resolves true once no task runs, or false if `timeoutMs` passes first. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(onIdle);
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

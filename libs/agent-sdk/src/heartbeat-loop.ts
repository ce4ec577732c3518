/**
 * Paces heartbeats: one beat, wait for it to finish (acknowledged, refused or timed out), then
 * sleep whatever is left of the interval, measured from when the beat was sent. So beats keep
 * the server's cadence, and a slow server never finds a second heartbeat stacked behind the
 * first: at most one is ever in flight.
 */
export class HeartbeatLoop {
  private generation = 0;
  private active = false;
  private pause: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  /**
   * @param beat sends one heartbeat and settles when it is answered or given up on. It gets the
   *   current interval, which is also how long the ack may take. It must not reject.
   */
  constructor(
    private readonly beat: (intervalMs: number) => Promise<void>,
    private intervalMs: number,
  ) {}

  get running(): boolean {
    return this.active;
  }

  get currentIntervalMs(): number {
    return this.intervalMs;
  }

  /** Starts beating now (the first beat is immediate); restarts if already running. */
  start(intervalMs: number = this.intervalMs): void {
    this.stop();
    this.intervalMs = intervalMs;
    this.active = true;
    void this.loop(++this.generation);
  }

  /** Takes effect from the next pause; the beat in flight keeps its own timeout. */
  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
  }

  stop(): void {
    this.generation++;
    this.active = false;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.wake();
      this.pause = undefined;
    }
  }

  private async loop(generation: number): Promise<void> {
    while (generation === this.generation) {
      const sentAt = performance.now();
      await this.beat(this.intervalMs);
      if (generation !== this.generation) return;
      const remainingMs = Math.max(0, this.intervalMs - (performance.now() - sentAt));
      await new Promise<void>((wake) => {
        this.pause = { timer: setTimeout(wake, remainingMs), wake };
      });
      // A stop() followed by start() may already have a new loop pausing: leave its pause alone.
      if (generation === this.generation) this.pause = undefined;
    }
  }
}

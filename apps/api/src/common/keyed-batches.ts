/** What became of one item of a batch. */
export type BatchOutcome<R> = { value: R } | { error: unknown };

export interface Gather<I> {
  idleMs: number;
  maxMs: number;
  enough?: (key: string, items: I[]) => boolean;
}

interface Waiting<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs items that share a key in batches, one batch per key at a time: the first item starts at
 * once, and those that arrive while it runs go together in the next batch. Requests that would
 * queue one by one on the same database row lock (each paying a full transaction under it) share
 * one transaction instead. Items of different keys never wait for each other.
 *
 * Only a grouping within this process: the work itself must stay correct when several processes
 * (or several batches of other callers) run it at once.
 */
export class KeyedBatches<I, R> {
  private readonly queues = new Map<string, Waiting<I, R>[]>();
  /** Wakes the gathering of a key's next batch when an item arrives. */
  private readonly arrived = new Map<string, () => void>();

  constructor(
    /**
     * One outcome per item, in order: the items given, then those `takeMore` returned. A throw
     * fails every item of the batch. `takeMore` hands over the items that arrived since (up to
     * the batch limit): work that comes after a slow first step can take them in.
     */
    private readonly run: (key: string, items: I[], takeMore: () => I[]) => Promise<BatchOutcome<R>[]>,
    private readonly maxBatch: number,
    /**
     * Before a batch starts, it waits for more items until none came for `idleMs`, at most
     * `maxMs`, or until `enough` says the items waiting (oldest first) are worth running now.
     */
    private readonly gather?: Gather<I>,
  ) {}

  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        this.arrived.get(key)?.();
        return;
      }
      const fresh: Waiting<I, R>[] = [{ item, resolve, reject }];
      this.queues.set(key, fresh);
      void this.drain(key, fresh);
    });
  }

  private async drain(key: string, queue: Waiting<I, R>[]): Promise<void> {
    // Items submitted in the same tick (a request's several items) go in the first batch together.
    await Promise.resolve();
    while (queue.length > 0) {
      if (this.gather) await this.gatherMore(key, queue, this.gather);
      const batch = queue.splice(0, this.maxBatch);
      const takeMore = () => {
        const more = queue.splice(0, Math.max(0, this.maxBatch - batch.length));
        batch.push(...more);
        return more.map((w) => w.item);
      };
      try {
        const outcomes = await this.run(key, batch.map((w) => w.item), takeMore);
        batch.forEach((waiting, i) => {
          const outcome = outcomes[i];
          if (!outcome) waiting.reject(new Error('batch returned no outcome for an item'));
          else if ('error' in outcome) waiting.reject(outcome.error);
          else waiting.resolve(outcome.value);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.queues.delete(key);
  }

  private async gatherMore(key: string, queue: Waiting<I, R>[], gather: Gather<I>): Promise<void> {
    const deadline = Date.now() + gather.maxMs;
    while (queue.length < this.maxBatch) {
      if (gather.enough?.(key, queue.map((w) => w.item))) return;
      const wait = Math.min(gather.idleMs, deadline - Date.now());
      if (wait <= 0) return;
      const before = queue.length;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.arrived.set(key, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.arrived.delete(key);
      if (queue.length === before) return;
    }
  }
}

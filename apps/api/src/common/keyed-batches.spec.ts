import { BatchOutcome, KeyedBatches } from './keyed-batches';

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('KeyedBatches', () => {
  it('runs items of one key that arrive while a batch runs together in the next batch', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const batcher = new KeyedBatches<number, number>(async (_key, items) => {
      batches.push(items);
      if (batches.length === 1) await gate.promise;
      return items.map((value) => ({ value: value * 10 }));
    }, 10);
    const first = batcher.submit('a', 1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [batcher.submit('a', 2), batcher.submit('a', 3)];
    gate.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('puts items submitted in the same tick in one batch, and never mixes keys', async () => {
    const batches: Array<[string, string[]]> = [];
    const batcher = new KeyedBatches<string, string>(async (key, items) => {
      batches.push([key, items]);
      return items.map((value) => ({ value }));
    }, 10);
    await Promise.all([batcher.submit('a', 'x'), batcher.submit('a', 'y'), batcher.submit('b', 'z')]);
    expect(batches).toEqual([
      ['a', ['x', 'y']],
      ['b', ['z']],
    ]);
  });

  it('keeps batches to the limit', async () => {
    const sizes: number[] = [];
    const batcher = new KeyedBatches<number, number>(async (_key, items) => {
      sizes.push(items.length);
      return items.map((value) => ({ value }));
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit('a', n)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('fails only the items given an error, and every item when the batch throws', async () => {
    let fail = false;
    const batcher = new KeyedBatches<number, number>(async (_key, items): Promise<BatchOutcome<number>[]> => {
      if (fail) throw new Error('database down');
      return items.map((value) => (value < 0 ? { error: new Error(`negative ${value}`) } : { value }));
    }, 10);
    const results = await Promise.allSettled([batcher.submit('a', 1), batcher.submit('a', -1)]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: new Error('negative -1') });
    fail = true;
    await expect(batcher.submit('a', 2)).rejects.toThrow('database down');
  });

  it('lets a batch take in items that arrived after it started', async () => {
    const gate = deferred();
    const seen: number[][] = [];
    const batcher = new KeyedBatches<number, number>(async (_key, items, takeMore) => {
      await gate.promise;
      const all = [...items, ...takeMore()];
      seen.push(all);
      return all.map((value) => ({ value }));
    }, 10);
    const first = batcher.submit('a', 1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.submit('a', 2);
    gate.release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(seen).toEqual([[1, 2]]);
  });

  /** An echoing batcher that gathers as told and records each batch it ran. */
  function gatheringBatcher(gather: ConstructorParameters<typeof KeyedBatches<number, number>>[2]) {
    const batches: number[][] = [];
    const batcher = new KeyedBatches<number, number>(
      async (_key, items) => {
        batches.push(items);
        return items.map((value) => ({ value }));
      },
      10,
      gather,
    );
    return { batches, batcher };
  }

  it('waits for stragglers before a batch when asked to gather', async () => {
    const { batches, batcher } = gatheringBatcher({ idleMs: 20, maxMs: 200 });
    const first = batcher.submit('a', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.submit('a', 2);
    await Promise.all([first, second]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('starts a gathered batch as soon as the items waiting are enough', async () => {
    // Long enough that only `enough` can explain a prompt start.
    const { batches, batcher } = gatheringBatcher({ idleMs: 5_000, maxMs: 5_000, enough: (_key, items) => items.reduce((sum, n) => sum + n, 0) >= 3 });
    const started = Date.now();
    const first = batcher.submit('a', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([]);
    const second = batcher.submit('a', 2);
    await Promise.all([first, second]);
    expect(batches).toEqual([[1, 2]]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

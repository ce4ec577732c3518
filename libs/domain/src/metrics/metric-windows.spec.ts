import {
  bucketStartOf,
  bucketsToRollUp,
  defaultHistoryFrom,
  isLiveMetricWindow,
  isRollupWindow,
  lastClosedBucketStart,
  METRIC_WINDOW_MS,
  rateOf,
  utilizationOf,
} from './metric-windows';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 22, 12, 0, 0); // a whole hour

describe('metric windows', () => {
  it('knows which windows are live and which are rolled up', () => {
    expect(['1m', '5m', '15m', '1h', '24h'].every(isLiveMetricWindow)).toBe(true);
    expect(isLiveMetricWindow('2m')).toBe(false);
    expect(['1m', '5m', '1h'].every(isRollupWindow)).toBe(true);
    expect(isRollupWindow('15m')).toBe(false);
    expect(METRIC_WINDOW_MS['24h']).toBe(86_400_000);
  });

  it('aligns buckets on the epoch', () => {
    expect(bucketStartOf(T + 59_999, MIN)).toBe(T);
    expect(bucketStartOf(T + 60_000, MIN)).toBe(T + MIN);
    expect(bucketStartOf(T + 7 * MIN, 5 * MIN)).toBe(T + 5 * MIN);
  });

  it('treats a bucket as closed only after the lag', () => {
    // 12:01:05 with a 10 s lag: 12:00 is not closed yet for the purpose of rolling it up.
    expect(lastClosedBucketStart('1m', T + MIN + 5_000, 10_000)).toBe(T - MIN);
    expect(lastClosedBucketStart('1m', T + MIN + 10_000, 10_000)).toBe(T);
    expect(lastClosedBucketStart('1h', T + 30 * MIN, 10_000)).toBe(T - 60 * MIN);
  });

  describe('bucketsToRollUp', () => {
    const now = T + 10 * MIN + 15_000;

    it('computes the one newly closed bucket in the steady state', () => {
      expect(bucketsToRollUp({ window: '1m', now, lastDone: T + 8 * MIN, lagMs: 10_000 })).toEqual([T + 9 * MIN]);
    });

    it('computes nothing when the newest closed bucket is done (a duplicate run is a no-op)', () => {
      expect(bucketsToRollUp({ window: '1m', now, lastDone: T + 9 * MIN, lagMs: 10_000 })).toEqual([]);
      expect(bucketsToRollUp({ window: '1m', now, lastDone: T + 20 * MIN, lagMs: 10_000 })).toEqual([]);
    });

    it('catches up missed buckets after downtime, oldest first', () => {
      expect(bucketsToRollUp({ window: '1m', now, lastDone: T + 5 * MIN, lagMs: 10_000 })).toEqual([6, 7, 8, 9].map((m) => T + m * MIN));
    });

    it('bounds the catch-up to the most recent buckets', () => {
      const starts = bucketsToRollUp({ window: '1m', now, lastDone: T - 600 * MIN, lagMs: 10_000, maxBuckets: 3 });
      expect(starts).toEqual([7, 8, 9].map((m) => T + m * MIN));
      expect(bucketsToRollUp({ window: '5m', now, lastDone: null, lagMs: 10_000, maxBuckets: 2 })).toEqual([T, T + 5 * MIN]);
    });

    it('tolerates a watermark that is not on a bucket boundary', () => {
      expect(bucketsToRollUp({ window: '5m', now: T + 16 * MIN, lastDone: T + 2 * MIN, lagMs: 10_000 })).toEqual([T + 5 * MIN, T + 10 * MIN]);
    });
  });

  it('divides safely and clamps utilization to 0..1', () => {
    expect(rateOf(1, 4)).toBe(0.25);
    expect(rateOf(3, 0)).toBe(0);
    expect(utilizationOf(30_000, 60_000, 2)).toBe(0.25);
    expect(utilizationOf(500_000, 60_000, 2)).toBe(1);
    expect(utilizationOf(10, 60_000, 0)).toBe(0);
  });

  it('defaults the history range to the last 60 buckets', () => {
    expect(defaultHistoryFrom('1m', T)).toBe(T - 60 * MIN);
    expect(defaultHistoryFrom('1h', T, 2)).toBe(T - 120 * MIN);
  });
});

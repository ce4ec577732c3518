/**
 * Time windows of swarm metrics and the arithmetic of roll-up buckets. Pure: the api, the
 * worker and the tests share it.
 */

/** Windows of the live figures (GET /swarms/:id/metrics). */
export const LIVE_METRIC_WINDOWS = ['1m', '5m', '15m', '1h', '24h'] as const;
export type LiveMetricWindow = (typeof LIVE_METRIC_WINDOWS)[number];
export const DEFAULT_LIVE_METRIC_WINDOW: LiveMetricWindow = '5m';

/** Windows the worker rolls up into swarm_metrics (one row per swarm, window and bucket). */
export const ROLLUP_WINDOWS = ['1m', '5m', '1h'] as const;
export type RollupWindow = (typeof ROLLUP_WINDOWS)[number];
export const DEFAULT_HISTORY_WINDOW: RollupWindow = '5m';

export const METRIC_WINDOW_MS: Readonly<Record<LiveMetricWindow, number>> = {
  '1m': 60_000,
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
};

/**
 * A bucket is rolled up this long after it closes: rows stamped inside it by transactions that
 * commit a little later (timestamps are taken when a statement runs, not when it commits) are
 * then visible.
 */
export const ROLLUP_LAG_MS = 10_000;

/** After downtime, at most this many missed buckets per window are computed (the most recent ones). */
export const ROLLUP_CATCH_UP_BUCKETS: Readonly<Record<RollupWindow, number>> = {
  '1m': 60,
  '5m': 24,
  '1h': 24,
};

/** History paging: rows per page. */
export const METRICS_HISTORY_PAGE = { default: 100, max: 1000 } as const;
/** Without `from`, history covers this many buckets before `to`. */
export const METRICS_HISTORY_DEFAULT_BUCKETS = 60;

export function isLiveMetricWindow(value: string): value is LiveMetricWindow {
  return (LIVE_METRIC_WINDOWS as readonly string[]).includes(value);
}

export function isRollupWindow(value: string): value is RollupWindow {
  return (ROLLUP_WINDOWS as readonly string[]).includes(value);
}

/** Start (ms) of the bucket of `windowMs` that contains `t`; buckets are aligned on the epoch (UTC). */
export function bucketStartOf(t: number, windowMs: number): number {
  return Math.floor(t / windowMs) * windowMs;
}

/** Start of the newest bucket that is closed (and past the lag) at `now`. */
export function lastClosedBucketStart(window: RollupWindow, now: number, lagMs = ROLLUP_LAG_MS): number {
  const ms = METRIC_WINDOW_MS[window];
  return bucketStartOf(now - lagMs, ms) - ms;
}

export interface RollupPlanInput {
  window: RollupWindow;
  now: number;
  /** Start of the newest bucket already rolled up for every swarm, or null when unknown. */
  lastDone: number | null;
  lagMs?: number;
  maxBuckets?: number;
}

/**
 * Bucket starts to compute now, oldest first: every closed bucket after `lastDone`, but no more
 * than `maxBuckets` (the most recent ones) so a long downtime costs a bounded amount of work.
 * Empty when everything closed is done.
 */
export function bucketsToRollUp({ window, now, lastDone, lagMs = ROLLUP_LAG_MS, maxBuckets = ROLLUP_CATCH_UP_BUCKETS[window] }: RollupPlanInput): number[] {
  const ms = METRIC_WINDOW_MS[window];
  const newest = lastClosedBucketStart(window, now, lagMs);
  const oldestAllowed = newest - (Math.max(1, maxBuckets) - 1) * ms;
  const first = lastDone === null ? oldestAllowed : Math.max(bucketStartOf(lastDone, ms) + ms, oldestAllowed);
  const starts: number[] = [];
  for (let start = first; start <= newest; start += ms) starts.push(start);
  return starts;
}

/** n / d, or 0 when there is nothing to divide by (no attempts, no capacity). */
export function rateOf(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/**
 * Share of the capacity that was busy: busy slot-time over window × slots, within 0..1 (agents
 * that left during the window may have been busy beyond the capacity that remains).
 */
export function utilizationOf(busyMs: number, windowMs: number, capacitySlots: number): number {
  return Math.min(1, Math.max(0, rateOf(busyMs, windowMs * capacitySlots)));
}

/** The default time range of a history query: the last `buckets` buckets before `to`. */
export function defaultHistoryFrom(window: RollupWindow, to: number, buckets = METRICS_HISTORY_DEFAULT_BUCKETS): number {
  return to - buckets * METRIC_WINDOW_MS[window];
}

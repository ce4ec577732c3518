/**
 * The p-quantile (p in 0..1) of ascending values, interpolating linearly between the two
 * nearest ranks exactly as Postgres percentile_cont does, so numbers computed here and in SQL
 * agree. null for no values. Throws on p outside 0..1 (Postgres errors too).
 */
export function percentile(sortedValues: number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within 0..1, got ${p}`);
  if (sortedValues.length === 0) return null;
  const position = p * (sortedValues.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  if (lower === upper) return sortedValues[lower];
  return sortedValues[lower] + (sortedValues[upper] - sortedValues[lower]) * (position - lower);
}

export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

/** Latency summary of unsorted values; the input is not modified. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? null : sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

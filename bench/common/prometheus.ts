/**
 * Just enough of the Prometheus text exposition format to read the api's /metrics: plain
 * samples (gauges, counters) and one histogram, whose quantiles are estimated the way
 * Prometheus' histogram_quantile() does it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Bucket {
  /** Upper bound in the metric's unit; Infinity for the +Inf bucket. */
  le: number;
  /** Cumulative count of observations <= le. */
  count: number;
}

export interface HistogramSnapshot {
  buckets: Bucket[];
  count: number;
  sum: number;
}

export interface Quantile {
  value: number;
  /** True when the quantile lies beyond the largest finite bucket: value is then a lower bound. */
  overflow: boolean;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseNumber(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

function parseLabels(raw: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!raw) return labels;
  for (const match of raw.matchAll(LABEL_PAIR)) labels[match[1]!] = match[2]!;
  return labels;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    samples.push({ name: match[1]!, labels: parseLabels(match[2]), value: parseNumber(match[3]!) });
  }
  return samples;
}

/** The value of the first sample with that name; a missing metric is a broken setup, so it throws. */
export function metricValue(samples: readonly Sample[], name: string): number {
  const sample = samples.find((s) => s.name === name);
  if (!sample) throw new Error(`metric ${name} is missing from /metrics`);
  return sample.value;
}

/** Value of the sample with that name whose labels include all of `labels`; 0 when absent. */
export function labelledValue(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  const sample = samples.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  return sample?.value ?? 0;
}

/** Distinct values of one label among samples of a metric. */
export function labelValues(samples: readonly Sample[], name: string, label: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name && s.labels[label] !== undefined).map((s) => s.labels[label]!))];
}

export function readHistogram(samples: readonly Sample[], name: string): HistogramSnapshot {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => ({ le: parseNumber(s.labels.le ?? 'NaN'), count: s.value }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) throw new Error(`histogram ${name} is missing from /metrics`);
  return { buckets, count: metricValue(samples, `${name}_count`), sum: metricValue(samples, `${name}_sum`) };
}

/** Observations made between two scrapes of the same process (the counters only grow). */
export function histogramDelta(start: HistogramSnapshot, end: HistogramSnapshot): HistogramSnapshot {
  const before = new Map(start.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: end.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
    count: end.count - start.count,
    sum: end.sum - start.sum,
  };
}

/**
 * Like histogram_quantile(): find the bucket holding rank q·total and interpolate linearly
 * between its bounds (the first bucket starts at 0). Observations are assumed to be spread
 * evenly inside a bucket, so the result is only as fine as the bucket layout.
 */
export function histogramQuantile(histogram: HistogramSnapshot, q: number): Quantile | null {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return { value: lower, overflow: true };
      const inBucket = bucket.count - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return { value: lower + (bucket.le - lower) * fraction, overflow: false };
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return { value: lower, overflow: true };
}

/** GET {baseUrl}/metrics, parsed. */
export async function scrapeMetrics(baseUrl: string): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

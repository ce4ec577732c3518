/**
 * What the benchmark reads from the running service: the api's /metrics (memory, the
 * heartbeat histogram, GC) and the heartbeat rows in Postgres.
 */
import type { Client } from 'pg';
import {
  histogramDelta,
  histogramQuantile,
  type HistogramSnapshot,
  labelledValue,
  labelValues,
  metricValue,
  type Sample,
  scrapeMetrics,
} from '../common/prometheus';
import { median, sleep } from '../common/util';
import type { BeatCounters } from './protocol';
import type { GcKindResult, HandlingResult, MemoryReading } from './report';

/** Scrapes of /metrics for the "before" memory reading, one a second. */
export const BASELINE_SAMPLES = 7;
const DRAIN_TIMEOUT_MS = 60_000;

/** The api's /metrics, parsed. */
export const scrape = scrapeMetrics;

export function memoryOf(samples: readonly Sample[]): MemoryReading {
  return {
    rssBytes: metricValue(samples, 'process_resident_memory_bytes'),
    heapUsedBytes: metricValue(samples, 'nodejs_heap_size_used_bytes'),
    externalBytes: metricValue(samples, 'nodejs_external_memory_bytes'),
  };
}

/** Median per field: one reading lands anywhere on the GC saw-tooth, the median of several near its middle. */
export function medianMemory(readings: readonly MemoryReading[]): MemoryReading {
  return {
    rssBytes: median(readings.map((m) => m.rssBytes)),
    heapUsedBytes: median(readings.map((m) => m.heapUsedBytes)),
    externalBytes: median(readings.map((m) => m.externalBytes)),
  };
}

export async function baselineMemory(baseUrl: string): Promise<MemoryReading[]> {
  const readings: MemoryReading[] = [];
  for (let i = 0; i < BASELINE_SAMPLES; i += 1) {
    readings.push(memoryOf(await scrape(baseUrl)));
    await sleep(1_000);
  }
  return readings;
}

export interface StoredBeats {
  rows: number;
  newestAt: number | null;
}

export async function storedBeats(pg: Client, swarmId: string): Promise<StoredBeats> {
  // Only this run's agents, found through their membership (heartbeat rows carry no swarm id).
  const result = await pg.query<{ rows: number; newest_ms: number | null }>(
    `SELECT count(*)::int AS rows, (extract(epoch FROM max(h.recorded_at)) * 1000)::float8 AS newest_ms
       FROM agent_heartbeats h
      WHERE h.agent_id IN (SELECT agent_id FROM swarm_memberships WHERE swarm_id = $1)`,
    [swarmId],
  );
  const row = result.rows[0];
  return { rows: row?.rows ?? 0, newestAt: row?.newest_ms ?? null };
}

/** Polls until every acked beat is stored; the time since the last ack is the drain time. */
export async function waitForDrain(pg: Client, swarmId: string, totals: BeatCounters): Promise<{ rows: number; drainMs: number | null }> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let stored = await storedBeats(pg, swarmId);
  while (stored.rows < totals.acked && Date.now() < deadline) {
    await sleep(100);
    stored = await storedBeats(pg, swarmId);
  }
  const caughtUp = stored.rows >= totals.acked;
  return { rows: stored.rows, drainMs: caughtUp ? Math.max(0, Date.now() - totals.lastAckAt) : null };
}


export function handlingFrom(start: HistogramSnapshot, end: HistogramSnapshot): HandlingResult {
  const delta = histogramDelta(start, end);
  return {
    count: delta.count,
    meanMs: delta.count > 0 ? (delta.sum / delta.count) * 1000 : Number.NaN,
    p50: histogramQuantile(delta, 0.5),
    p99: histogramQuantile(delta, 0.99),
  };
}

const GC_METRIC = 'nodejs_gc_duration_seconds';

/**
 * GC pauses per kind between two scrapes. prom-client records one entry per observer
 * callback, so counts can be slightly low when collections come in bursts.
 */
export function gcBetween(start: readonly Sample[], end: readonly Sample[]): GcKindResult[] {
  return labelValues(end, `${GC_METRIC}_count`, 'kind').map((kind) => {
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      labelledValue(end, name, { kind, ...labels }) - labelledValue(start, name, { kind, ...labels });
    const count = delta(`${GC_METRIC}_count`);
    return { kind, count, totalMs: delta(`${GC_METRIC}_sum`) * 1000, over10ms: count - delta(`${GC_METRIC}_bucket`, { le: '0.01' }) };
  });
}

import type { WindowFigures } from '@swarm/db';
import { toRollupRow } from './rollup-row';

const summary = (p50: number | null, count: number) => ({ count, p50, p95: p50, p99: p50, mean: p50 });

describe('toRollupRow', () => {
  const from = new Date('2026-11-22T12:00:00.000Z');
  const figures: WindowFigures = {
    swarmId: 's',
    from,
    to: new Date('2026-11-22T12:01:00.000Z'),
    tasksSubmitted: 7,
    tasksCompleted: 3,
    tasksFailed: 2,
    tasksCancelled: 1,
    latency: { queueWait: summary(10, 3), execution: summary(200, 3), endToEnd: summary(null, 0) },
    attempts: { assigned: 6, retried: 2, finished: 5, failed: 2 },
    busyMs: 45_000,
    capacitySlots: 3,
    queueDepth: 4,
    queueDepthByStatus: null,
  };

  it('derives throughput and utilization for the bucket', () => {
    expect(toRollupRow('1m', figures)).toEqual({
      swarmId: 's',
      window: '1m',
      bucketStart: from,
      tasksSubmitted: 7,
      tasksCompleted: 3,
      tasksFailed: 2,
      tasksRetried: 2,
      throughputPerSec: 0.05,
      queueWait: { p50: 10, p95: 10, p99: 10 },
      execution: { p50: 200, p95: 200, p99: 200 },
      endToEnd: { p50: null, p95: null, p99: null },
      queueDepth: 4,
      agentUtilization: 0.25,
    });
  });

  it('keeps utilization within 0..1 and 0 without capacity', () => {
    expect(toRollupRow('1m', { ...figures, busyMs: 10 * 60_000 }).agentUtilization).toBe(1);
    expect(toRollupRow('1m', { ...figures, capacitySlots: 0 }).agentUtilization).toBe(0);
    expect(toRollupRow('5m', figures).throughputPerSec).toBeCloseTo(0.01, 10);
  });
});

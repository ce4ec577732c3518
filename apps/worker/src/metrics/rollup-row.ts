import type { RollupRow, WindowFigures } from '@swarm/db';
import { METRIC_WINDOW_MS, RollupWindow, utilizationOf } from '@swarm/domain';

const p = (s: { p50: number | null; p95: number | null; p99: number | null }) => ({ p50: s.p50, p95: s.p95, p99: s.p99 });

/** What a swarm_metrics row stores about one bucket's figures. tasks_failed includes timed out tasks. */
export function toRollupRow(window: RollupWindow, figures: WindowFigures): RollupRow {
  const windowMs = METRIC_WINDOW_MS[window];
  return {
    swarmId: figures.swarmId,
    window,
    bucketStart: figures.from,
    tasksSubmitted: figures.tasksSubmitted,
    tasksCompleted: figures.tasksCompleted,
    tasksFailed: figures.tasksFailed,
    tasksRetried: figures.attempts.retried,
    throughputPerSec: figures.tasksCompleted / (windowMs / 1000),
    queueWait: p(figures.latency.queueWait),
    execution: p(figures.latency.execution),
    endToEnd: p(figures.latency.endToEnd),
    queueDepth: figures.queueDepth,
    agentUtilization: utilizationOf(figures.busyMs, windowMs, figures.capacitySlots),
  };
}

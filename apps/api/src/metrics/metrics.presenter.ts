import type {
  AgentStatsView,
  LatencyStatsView,
  PercentilesView,
  SwarmMetricsBucketView,
  SwarmMetricsView,
} from '@swarm/contracts';
import type { AgentStatsRecord, LatencySummary, WindowFigures } from '@swarm/db';
import { LiveMetricWindow, METRIC_WINDOW_MS, rateOf, RollupWindow, utilizationOf } from '@swarm/domain';

/** Milliseconds to the microsecond: percentile interpolation leaves float noise below that. */
const roundMs = (value: number | null): number | null => (value === null ? null : Math.round(value * 1000) / 1000);

function latency(summary: LatencySummary): LatencyStatsView {
  return {
    p50: roundMs(summary.p50),
    p95: roundMs(summary.p95),
    p99: roundMs(summary.p99),
    mean: roundMs(summary.mean),
    count: summary.count,
  };
}

export function presentSwarmMetrics(window: LiveMetricWindow, f: WindowFigures): SwarmMetricsView {
  const windowMs = METRIC_WINDOW_MS[window];
  const depth = f.queueDepthByStatus ?? { pending: 0, queued: 0, assigned: 0, running: 0 };
  return {
    swarm_id: f.swarmId,
    window,
    from: f.from.toISOString(),
    to: f.to.toISOString(),
    tasks_submitted: f.tasksSubmitted,
    tasks_completed: f.tasksCompleted,
    tasks_failed: f.tasksFailed,
    tasks_cancelled: f.tasksCancelled,
    throughput_per_sec: f.tasksCompleted / (windowMs / 1000),
    latency_ms: {
      queue_wait: latency(f.latency.queueWait),
      execution: latency(f.latency.execution),
      end_to_end: latency(f.latency.endToEnd),
    },
    queue_depth: { ...depth, total: f.queueDepth },
    agent_utilization: utilizationOf(f.busyMs, windowMs, f.capacitySlots),
    in_flight_now: depth.assigned + depth.running,
    capacity_now: f.capacitySlots,
    error_rate: rateOf(f.attempts.failed, f.attempts.finished),
    retry_rate: rateOf(f.attempts.retried, f.attempts.assigned),
    attempts: { ...f.attempts },
  };
}

/** A stored swarm_metrics row (the Prisma model, structurally). */
export interface StoredRollup {
  bucketStart: Date;
  tasksSubmitted: number;
  tasksCompleted: number;
  tasksFailed: number;
  tasksRetried: number;
  throughputPerSec: number;
  queueWaitP50Ms: number | null;
  queueWaitP95Ms: number | null;
  queueWaitP99Ms: number | null;
  executionP50Ms: number | null;
  executionP95Ms: number | null;
  executionP99Ms: number | null;
  endToEndP50Ms: number | null;
  endToEndP95Ms: number | null;
  endToEndP99Ms: number | null;
  queueDepth: number | null;
  agentUtilization: number | null;
  computedAt: Date;
}

const percentiles = (p50: number | null, p95: number | null, p99: number | null): PercentilesView => ({
  p50: roundMs(p50),
  p95: roundMs(p95),
  p99: roundMs(p99),
});

export function presentRollup(window: RollupWindow, row: StoredRollup): SwarmMetricsBucketView {
  return {
    bucket_start: row.bucketStart.toISOString(),
    bucket_end: new Date(row.bucketStart.getTime() + METRIC_WINDOW_MS[window]).toISOString(),
    tasks_submitted: row.tasksSubmitted,
    tasks_completed: row.tasksCompleted,
    tasks_failed: row.tasksFailed,
    tasks_retried: row.tasksRetried,
    throughput_per_sec: row.throughputPerSec,
    latency_ms: {
      queue_wait: percentiles(row.queueWaitP50Ms, row.queueWaitP95Ms, row.queueWaitP99Ms),
      execution: percentiles(row.executionP50Ms, row.executionP95Ms, row.executionP99Ms),
      end_to_end: percentiles(row.endToEndP50Ms, row.endToEndP95Ms, row.endToEndP99Ms),
    },
    queue_depth: row.queueDepth,
    agent_utilization: row.agentUtilization,
    computed_at: row.computedAt.toISOString(),
  };
}

export function presentAgentStats(swarmId: string, record: AgentStatsRecord): AgentStatsView {
  const { membership, stats, inFlight } = record;
  return {
    swarm_id: swarmId,
    agent_id: membership.agentId,
    name: membership.agent.name,
    status: membership.agent.status,
    max_concurrency: membership.agent.maxConcurrency,
    membership_status: membership.status,
    in_flight: inFlight,
    task_types: stats.map((s) => ({
      task_type: s.taskType,
      completed: s.completed,
      failed: s.failed,
      timed_out: s.timedOut,
      success_rate: s.successRateEwma,
      latency_ms: roundMs(s.latencyMsEwma),
      mean_execution_ms: s.completed > 0 ? roundMs(s.totalExecutionMs / s.completed) : null,
      last_finished_at: s.lastFinishedAt.toISOString(),
    })),
  };
}

/**
 * The short performance summary the aitbc answers carry (network status, /swarm/status): the
 * swarm's measured figures over a window, success rate over the tasks that ended.
 */
export function presentPerformanceSummary(m: SwarmMetricsView) {
  const ended = m.tasks_completed + m.tasks_failed;
  return {
    window: m.window,
    tasks_completed: m.tasks_completed,
    tasks_failed: m.tasks_failed,
    throughput_per_sec: m.throughput_per_sec,
    success_rate: ended === 0 ? null : m.tasks_completed / ended,
    latency_p50_ms: { queue_wait: m.latency_ms.queue_wait.p50, execution: m.latency_ms.execution.p50, end_to_end: m.latency_ms.end_to_end.p50 },
    agent_utilization: m.agent_utilization,
    error_rate: m.error_rate,
    retry_rate: m.retry_rate,
  };
}

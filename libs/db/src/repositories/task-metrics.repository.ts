import { Injectable } from '@nestjs/common';
import { Agent, AgentTaskStats, Prisma, SwarmMembership, SwarmMetric } from '../generated/prisma/client';
import { TaskStatus } from '../generated/prisma/enums';
import { PrismaService } from '../prisma.service';

/** Latency of a set of tasks, in ms; null figures when there were none. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

export interface QueueDepthByStatus {
  pending: number;
  queued: number;
  assigned: number;
  running: number;
}

/**
 * What happened in a swarm during [from, to), read from tasks and task_attempts. Ratios are
 * left to the caller (domain functions), so the raw counts stay inspectable.
 */
export interface WindowFigures {
  swarmId: string;
  from: Date;
  to: Date;
  /** Tasks created in the window. */
  tasksSubmitted: number;
  /** Tasks that reached a final status in the window, by outcome (failed includes timed_out). */
  tasksCompleted: number;
  tasksFailed: number;
  tasksCancelled: number;
  /** Over tasks completed in the window. */
  latency: { queueWait: LatencySummary; execution: LatencySummary; endToEnd: LatencySummary };
  attempts: {
    /** Attempts assigned in the window, and those of them that were retries (attempt_number > 1). */
    assigned: number;
    retried: number;
    /** Attempts that ended in the window (any status), and those that failed or timed out. */
    finished: number;
    failed: number;
  };
  /** Slot time agents spent on this swarm's attempts within the window (ms). */
  busyMs: number;
  /** Sum of max_concurrency of the members (live: active now; bucket: members at `to`). */
  capacitySlots: number;
  /** Tasks not final: live, by current status; bucket, the total outstanding at `to`. */
  queueDepth: number;
  queueDepthByStatus: QueueDepthByStatus | null;
}

/** The values one swarm_metrics row stores. */
export interface RollupRow {
  swarmId: string;
  window: string;
  bucketStart: Date;
  tasksSubmitted: number;
  tasksCompleted: number;
  tasksFailed: number;
  tasksRetried: number;
  throughputPerSec: number;
  queueWait: { p50: number | null; p95: number | null; p99: number | null };
  execution: { p50: number | null; p95: number | null; p99: number | null };
  endToEnd: { p50: number | null; p95: number | null; p99: number | null };
  queueDepth: number;
  agentUtilization: number;
}

export interface RollupQuery {
  window: string;
  from: Date;
  to: Date;
  /** Only buckets after this start (the previous page's last bucket_start). */
  after?: Date;
  limit: number;
}

export interface AgentStatsRecord {
  membership: SwarmMembership & { agent: Agent };
  stats: AgentTaskStats[];
  inFlight: number;
}

type Mode = 'live' | 'bucket';

interface FiguresRow {
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  queue_wait_p: number[] | null;
  queue_wait_mean: number | null;
  queue_wait_n: number;
  execution_p: number[] | null;
  execution_mean: number | null;
  execution_n: number;
  end_to_end_p: number[] | null;
  end_to_end_mean: number | null;
  end_to_end_n: number;
  busy_ms: number;
  attempts_assigned: number;
  attempts_retried: number;
  attempts_finished: number;
  attempts_failed: number;
  pending: number;
  queued: number;
  assigned: number;
  running: number;
  outstanding: number;
  capacity: number;
}

const ALL_TASK_STATUSES = Prisma.raw(
  Object.values(TaskStatus)
    .map((status) => {
      if (!/^[a-z_]+$/.test(status)) throw new Error(`unexpected task status ${status}`);
      return `'${status}'`;
    })
    .join(', '),
);

const ms = (later: string, earlier: string) => Prisma.raw(`(EXTRACT(EPOCH FROM (${later} - ${earlier})) * 1000)::float8`);

function summary(percentiles: number[] | null, mean: number | null, count: number): LatencySummary {
  return {
    count,
    p50: percentiles?.[0] ?? null,
    p95: percentiles?.[1] ?? null,
    p99: percentiles?.[2] ?? null,
    mean: mean ?? null,
  };
}

/**
 * Read side of the task engine for metrics: figures over a time window computed in SQL from
 * tasks and task_attempts, the swarm_metrics roll-ups, and per-agent statistics. Methods the
 * api calls take the owner id (another owner's swarm reads as absent); the roll-up methods are
 * the worker's and see every swarm.
 *
 * Indexes used: tasks (swarm_id, status, created_at) for submissions, queue depth and tasks not
 * final yet (the status list lets the range on created_at use it: "not final" is written as the
 * four open statuses, not completed_at IS NULL, which the partial (swarm_id, completed_at) index
 * does not hold), tasks (swarm_id, completed_at) for final tasks,
 * task_attempts (agent_id, finished_at) for the attempts of the swarm's members that overlap
 * the window, and the tasks primary key to keep only this swarm's attempts.
 */
@Injectable()
export class TaskMetricsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Live figures for [from, to): queue depth by current status, capacity of the active members. */
  async liveFigures(ownerId: string, swarmId: string, from: Date, to: Date): Promise<WindowFigures | null> {
    return (await this.figures([swarmId], from, to, 'live', ownerId)).get(swarmId) ?? null;
  }

  /**
   * Live figures of several swarms in one statement, as liveFigures gives each: a summary of many
   * swarms costs one round trip instead of one per swarm. Swarms the owner does not own are absent.
   */
  async liveFiguresOfSwarms(ownerId: string, swarmIds: readonly string[], from: Date, to: Date): Promise<Map<string, WindowFigures>> {
    if (swarmIds.length === 0) return new Map();
    return this.figures(swarmIds, from, to, 'live', ownerId);
  }

  /**
   * Figures of a closed bucket [from, to), as far as possible as they were at its end: queue
   * depth is the number of tasks outstanding at `to`, capacity that of the members at `to`.
   */
  async bucketFigures(swarmId: string, from: Date, to: Date): Promise<WindowFigures> {
    const figures = (await this.figures([swarmId], from, to, 'bucket', null)).get(swarmId);
    if (!figures) throw new Error(`swarm ${swarmId} not found`);
    return figures;
  }

  /**
   * Swarms that had something going on during [from, to): a task final in it, or a task created
   * before its end and not final by then (waiting or running: it counts for queue depth and
   * utilization). Ordered by id.
   */
  async swarmsActiveIn(from: Date, to: Date): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM swarms s
      WHERE (s.terminated_at IS NULL OR s.terminated_at >= ${from}::timestamptz)
        AND (
          EXISTS (SELECT 1 FROM tasks t WHERE t.swarm_id = s.id AND t.completed_at >= ${from}::timestamptz AND t.completed_at < ${to}::timestamptz)
          OR EXISTS (SELECT 1 FROM tasks t WHERE t.swarm_id = s.id AND t.status IN ('pending', 'queued', 'assigned', 'running') AND t.created_at < ${to}::timestamptz)
          OR EXISTS (SELECT 1 FROM tasks t WHERE t.swarm_id = s.id AND t.completed_at >= ${to}::timestamptz AND t.created_at < ${to}::timestamptz)
        )
      ORDER BY s.id`;
    return rows.map((r) => r.id);
  }

  /** Insert or replace one roll-up row: recomputing a bucket leaves one row with the new values. */
  async upsertRollup(row: RollupRow): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO swarm_metrics (swarm_id, "window", bucket_start, tasks_submitted, tasks_completed, tasks_failed, tasks_retried,
        throughput_per_sec, queue_wait_p50_ms, queue_wait_p95_ms, queue_wait_p99_ms, execution_p50_ms, execution_p95_ms,
        execution_p99_ms, end_to_end_p50_ms, end_to_end_p95_ms, end_to_end_p99_ms, queue_depth, agent_utilization, computed_at)
      VALUES (${row.swarmId}::uuid, ${row.window}, ${row.bucketStart}::timestamptz, ${row.tasksSubmitted}::int, ${row.tasksCompleted}::int,
        ${row.tasksFailed}::int, ${row.tasksRetried}::int, ${row.throughputPerSec}::float8,
        ${row.queueWait.p50}::float8, ${row.queueWait.p95}::float8, ${row.queueWait.p99}::float8,
        ${row.execution.p50}::float8, ${row.execution.p95}::float8, ${row.execution.p99}::float8,
        ${row.endToEnd.p50}::float8, ${row.endToEnd.p95}::float8, ${row.endToEnd.p99}::float8,
        ${row.queueDepth}::int, ${row.agentUtilization}::float8, clock_timestamp())
      ON CONFLICT (swarm_id, "window", bucket_start) DO UPDATE SET
        tasks_submitted = EXCLUDED.tasks_submitted, tasks_completed = EXCLUDED.tasks_completed,
        tasks_failed = EXCLUDED.tasks_failed, tasks_retried = EXCLUDED.tasks_retried,
        throughput_per_sec = EXCLUDED.throughput_per_sec,
        queue_wait_p50_ms = EXCLUDED.queue_wait_p50_ms, queue_wait_p95_ms = EXCLUDED.queue_wait_p95_ms,
        queue_wait_p99_ms = EXCLUDED.queue_wait_p99_ms, execution_p50_ms = EXCLUDED.execution_p50_ms,
        execution_p95_ms = EXCLUDED.execution_p95_ms, execution_p99_ms = EXCLUDED.execution_p99_ms,
        end_to_end_p50_ms = EXCLUDED.end_to_end_p50_ms, end_to_end_p95_ms = EXCLUDED.end_to_end_p95_ms,
        end_to_end_p99_ms = EXCLUDED.end_to_end_p99_ms, queue_depth = EXCLUDED.queue_depth,
        agent_utilization = EXCLUDED.agent_utilization, computed_at = EXCLUDED.computed_at`;
  }

  /** Roll-up rows of one window, oldest first, keyset-paged on bucket_start (unique per swarm and window). */
  async listRollups(ownerId: string, swarmId: string, query: RollupQuery): Promise<{ items: SwarmMetric[]; hasMore: boolean }> {
    const rows = await this.prisma.swarmMetric.findMany({
      where: {
        swarmId,
        swarm: { ownerId },
        window: query.window,
        bucketStart: { gte: query.from, lt: query.to, ...(query.after ? { gt: query.after } : {}) },
      },
      orderBy: { bucketStart: 'asc' },
      take: query.limit + 1,
    });
    return { items: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  /**
   * An agent of the owner that is or was a member of the swarm, its per task-type statistics
   * (kept per agent, across the swarms it serves) and the tasks of this swarm it holds now.
   */
  async agentStats(ownerId: string, swarmId: string, agentId: string): Promise<AgentStatsRecord | null> {
    const membership = await this.prisma.swarmMembership.findFirst({
      where: { swarmId, agentId, swarm: { ownerId }, agent: { ownerId } },
      include: { agent: true },
    });
    if (!membership) return null;
    const [stats, inFlight] = await Promise.all([
      this.prisma.agentTaskStats.findMany({ where: { agentId }, orderBy: { taskType: 'asc' } }),
      this.prisma.task.count({ where: { assignedAgentId: agentId, status: { in: ['assigned', 'running'] }, swarmId } }),
    ]);
    return { membership, stats, inFlight };
  }

  /** One statement (one snapshot, one round trip); no row for a swarm the owner does not own. */
  private async figures(swarmIds: readonly string[], from: Date, to: Date, mode: Mode, ownerId: string | null): Promise<Map<string, WindowFigures>> {
    const swarms = Prisma.sql`${[...new Set(swarmIds)]}::uuid[]`;
    const start = Prisma.sql`${from}::timestamptz`;
    const end = Prisma.sql`${to}::timestamptz`;
    const owned =
      ownerId === null
        ? Prisma.sql`SELECT id FROM swarms WHERE id = ANY(${swarms})`
        : Prisma.sql`SELECT id FROM swarms WHERE id = ANY(${swarms}) AND owner_id = ${ownerId}::uuid`;

    const depth =
      mode === 'live'
        ? Prisma.sql`
          SELECT swarm_id,
                 count(*) FILTER (WHERE status = 'pending')::int AS pending,
                 count(*) FILTER (WHERE status = 'queued')::int AS queued,
                 count(*) FILTER (WHERE status = 'assigned')::int AS assigned,
                 count(*) FILTER (WHERE status = 'running')::int AS running,
                 count(*)::int AS outstanding
          FROM tasks WHERE swarm_id = ANY(${swarms}) AND status IN ('pending', 'queued', 'assigned', 'running')
          GROUP BY swarm_id`
        : Prisma.sql`
          SELECT o.id AS swarm_id, 0 AS pending, 0 AS queued, 0 AS assigned, 0 AS running,
            ((SELECT count(*) FROM tasks WHERE swarm_id = o.id AND status IN ('pending', 'queued', 'assigned', 'running') AND created_at < ${end})
             + (SELECT count(*) FROM tasks WHERE swarm_id = o.id AND completed_at >= ${end} AND created_at < ${end}))::int AS outstanding
          FROM owned o`;

    const members =
      mode === 'live'
        ? Prisma.sql`m.status = 'active'`
        : Prisma.sql`m.joined_at < ${end} AND (m.left_at IS NULL OR m.left_at >= ${end})`;

    // Each part is grouped by swarm and joined to the owned swarms, so a swarm without tasks,
    // attempts or members still gets its row (zeros and nulls, as an ungrouped aggregate gives).
    const rows = await this.prisma.$queryRaw<Array<FiguresRow & { swarm_id: string }>>`
      WITH owned AS (${owned}),
      submitted AS (
        SELECT swarm_id, count(*)::int AS submitted FROM tasks
        WHERE swarm_id = ANY(${swarms}) AND status IN (${ALL_TASK_STATUSES}) AND created_at >= ${start} AND created_at < ${end}
        GROUP BY swarm_id
      ),
      finals AS (
        SELECT swarm_id, status,
          ${ms('assigned_at', 'queued_at')} AS queue_wait_ms,
          ${ms('completed_at', 'started_at')} AS execution_ms,
          ${ms('completed_at', 'created_at')} AS end_to_end_ms
        FROM tasks
        WHERE swarm_id = ANY(${swarms}) AND completed_at >= ${start} AND completed_at < ${end}
      ),
      final_stats AS (
        SELECT swarm_id,
          count(*) FILTER (WHERE status = 'completed')::int AS completed,
          count(*) FILTER (WHERE status IN ('failed', 'timed_out'))::int AS failed,
          count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
          percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY queue_wait_ms) FILTER (WHERE status = 'completed') AS queue_wait_p,
          avg(queue_wait_ms) FILTER (WHERE status = 'completed') AS queue_wait_mean,
          count(queue_wait_ms) FILTER (WHERE status = 'completed')::int AS queue_wait_n,
          percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY execution_ms) FILTER (WHERE status = 'completed') AS execution_p,
          avg(execution_ms) FILTER (WHERE status = 'completed') AS execution_mean,
          count(execution_ms) FILTER (WHERE status = 'completed')::int AS execution_n,
          percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY end_to_end_ms) FILTER (WHERE status = 'completed') AS end_to_end_p,
          avg(end_to_end_ms) FILTER (WHERE status = 'completed') AS end_to_end_mean,
          count(end_to_end_ms) FILTER (WHERE status = 'completed')::int AS end_to_end_n
        FROM finals
        GROUP BY swarm_id
      ),
      attempts AS (
        SELECT m.swarm_id, a.attempt_number, a.status, a.assigned_at, a.finished_at
        FROM swarm_memberships m
        CROSS JOIN LATERAL (
          SELECT x.task_id, x.attempt_number, x.status, x.assigned_at, x.finished_at FROM task_attempts x
          WHERE x.agent_id = m.agent_id AND x.finished_at >= ${start} AND x.assigned_at < ${end}
          UNION ALL
          SELECT x.task_id, x.attempt_number, x.status, x.assigned_at, x.finished_at FROM task_attempts x
          WHERE x.agent_id = m.agent_id AND x.finished_at IS NULL AND x.assigned_at < ${end}
        ) a
        -- A primary-key probe per attempt: a join lets the planner scan the swarm's whole task history instead.
        WHERE m.swarm_id = ANY(${swarms}) AND (SELECT t.swarm_id FROM tasks t WHERE t.id = a.task_id) = m.swarm_id
      ),
      attempt_stats AS (
        SELECT swarm_id,
          COALESCE(sum(GREATEST(0::float8,
            (EXTRACT(EPOCH FROM (LEAST(COALESCE(finished_at, ${end}), ${end}) - GREATEST(assigned_at, ${start}))) * 1000)::float8)), 0)::float8 AS busy_ms,
          count(*) FILTER (WHERE assigned_at >= ${start})::int AS attempts_assigned,
          count(*) FILTER (WHERE assigned_at >= ${start} AND attempt_number > 1)::int AS attempts_retried,
          count(*) FILTER (WHERE finished_at >= ${start} AND finished_at < ${end})::int AS attempts_finished,
          count(*) FILTER (WHERE finished_at >= ${start} AND finished_at < ${end} AND status IN ('failed', 'timed_out'))::int AS attempts_failed
        FROM attempts
        GROUP BY swarm_id
      ),
      depth AS (${depth}),
      capacity AS (
        SELECT m.swarm_id, COALESCE(sum(ag.max_concurrency), 0)::int AS capacity
        FROM swarm_memberships m JOIN agents ag ON ag.id = m.agent_id
        WHERE m.swarm_id = ANY(${swarms}) AND ${members}
        GROUP BY m.swarm_id
      )
      SELECT o.id AS swarm_id,
        COALESCE(s.submitted, 0) AS submitted,
        COALESCE(f.completed, 0) AS completed, COALESCE(f.failed, 0) AS failed, COALESCE(f.cancelled, 0) AS cancelled,
        f.queue_wait_p, f.queue_wait_mean, COALESCE(f.queue_wait_n, 0) AS queue_wait_n,
        f.execution_p, f.execution_mean, COALESCE(f.execution_n, 0) AS execution_n,
        f.end_to_end_p, f.end_to_end_mean, COALESCE(f.end_to_end_n, 0) AS end_to_end_n,
        COALESCE(a.busy_ms, 0)::float8 AS busy_ms,
        COALESCE(a.attempts_assigned, 0) AS attempts_assigned, COALESCE(a.attempts_retried, 0) AS attempts_retried,
        COALESCE(a.attempts_finished, 0) AS attempts_finished, COALESCE(a.attempts_failed, 0) AS attempts_failed,
        COALESCE(d.pending, 0) AS pending, COALESCE(d.queued, 0) AS queued, COALESCE(d.assigned, 0) AS assigned,
        COALESCE(d.running, 0) AS running, COALESCE(d.outstanding, 0) AS outstanding,
        COALESCE(c.capacity, 0) AS capacity
      FROM owned o
      LEFT JOIN submitted s ON s.swarm_id = o.id
      LEFT JOIN final_stats f ON f.swarm_id = o.id
      LEFT JOIN attempt_stats a ON a.swarm_id = o.id
      LEFT JOIN depth d ON d.swarm_id = o.id
      LEFT JOIN capacity c ON c.swarm_id = o.id`;

    return new Map(rows.map((r) => [r.swarm_id, toWindowFigures(r.swarm_id, from, to, mode, r)]));
  }
}

function toWindowFigures(swarmId: string, from: Date, to: Date, mode: Mode, r: FiguresRow): WindowFigures {
  return {
    swarmId,
    from,
    to,
    tasksSubmitted: r.submitted,
    tasksCompleted: r.completed,
    tasksFailed: r.failed,
    tasksCancelled: r.cancelled,
    latency: {
      queueWait: summary(r.queue_wait_p, r.queue_wait_mean, r.queue_wait_n),
      execution: summary(r.execution_p, r.execution_mean, r.execution_n),
      endToEnd: summary(r.end_to_end_p, r.end_to_end_mean, r.end_to_end_n),
    },
    attempts: {
      assigned: r.attempts_assigned,
      retried: r.attempts_retried,
      finished: r.attempts_finished,
      failed: r.attempts_failed,
    },
    busyMs: r.busy_ms,
    capacitySlots: r.capacity,
    queueDepth: r.outstanding,
    queueDepthByStatus: mode === 'live' ? { pending: r.pending, queued: r.queued, assigned: r.assigned, running: r.running } : null,
  };
}

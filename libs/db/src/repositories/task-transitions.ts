import { Injectable } from '@nestjs/common';
import { Prisma, TaskStatus } from '../generated/prisma/client';
import { RawSql, Sql } from '../sql';

type Tx = RawSql;

/** A task as the distributor needs it to (re)queue it in Redis. */
export interface QueueableTask {
  id: string;
  swarmId: string;
  taskType: string;
  priority: number;
  requiredCapabilities: string[];
  queuedAt: Date;
  availableAt: Date | null;
}

export interface AssignmentClaim {
  taskId: string;
  agentId: string;
  fencingToken: bigint;
}

export interface CommittedAssignment {
  taskId: string;
  swarmId: string;
  ownerId: string;
  agentId: string;
  taskType: string;
  payload: unknown;
  priority: number;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  fencingToken: bigint;
  queuedAt: Date;
  assignedAt: Date;
  deadlineAt: Date;
}

/** A task that reached a final status in a transition (for events, metrics and dependants). */
export interface FinishedTask {
  id: string;
  swarmId: string;
  ownerId: string;
  taskType: string;
  status: 'completed' | 'failed' | 'cancelled' | 'timed_out';
  agentId: string | null;
  fencingToken: bigint | null;
  error: string | null;
  createdAt: Date;
  queuedAt: Date | null;
  assignedAt: Date | null;
  startedAt: Date | null;
  completedAt: Date;
}

/** An in-flight attempt that has to end (failure, timeout, agent lost, cancel). */
export interface LockedInFlight {
  id: string;
  swarmId: string;
  ownerId: string;
  taskType: string;
  priority: number;
  requiredCapabilities: string[];
  status: 'assigned' | 'running';
  agentId: string | null;
  fencingToken: bigint;
  attemptCount: number;
  maxAttempts: number;
  timeoutMs: number;
  createdAt: Date;
  queuedAt: Date | null;
  assignedAt: Date | null;
  startedAt: Date | null;
}

/** How one in-flight attempt ends, decided by the caller (domain retry policy). */
export interface AttemptEnding {
  task: LockedInFlight;
  attemptStatus: 'failed' | 'timed_out' | 'cancelled';
  error: string;
  retryable: boolean | null;
  /** Retry: the task goes back to queued, dispatchable at this time. Absent: final. */
  retryAt?: Date;
  /** Final status when not retried. */
  finalStatus?: 'failed' | 'timed_out' | 'cancelled';
}

export interface EndedAttempts {
  retried: QueueableTask[];
  finished: FinishedTask[];
}

export interface DependencySettlement {
  released: QueueableTask[];
  failed: FinishedTask[];
}

export interface RedundantParent {
  id: string;
  swarmId: string;
  ownerId: string;
  taskType: string;
  redundancy: unknown;
}

/** Parents the engine runs child by child, by the column holding their plan. */
export type FamilyKind = 'pipeline' | 'verification';
const FAMILY_COLUMNS: Record<FamilyKind, string> = { pipeline: 'pipeline', verification: 'verification' };

export interface FamilyStep {
  id: string;
  kind: FamilyKind;
  swarmId: string;
  ownerId: string;
  taskType: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number;
  requiredCapabilities: string[];
  payload: unknown;
  spec: unknown;
  childId: string;
  childStatus: TaskStatus;
  childResult: unknown;
  childError: string | null;
}

export interface FinishedSubtask {
  taskId: string;
  parentId: string;
  delegatorId: string;
  status: TaskStatus;
  result: unknown;
  error: string | null;
  requiredCapabilities: string[];
}

export interface ReplicaRow {
  id: string;
  parentId: string;
  status: TaskStatus;
  requiredCapabilities: string[];
  result: unknown;
  error: string | null;
}

interface DependencyRow {
  task_id: string;
  depends_on_task_id: string;
  type: 'completion' | 'success';
  prerequisite_status: TaskStatus;
}

export type DependencyEvaluator = (
  deps: Array<{ prerequisiteId: string; prerequisiteStatus: TaskStatus; type: 'completion' | 'success' }>,
) => { state: 'ready' } | { state: 'waiting'; reason: string } | { state: 'failed'; reason: string };

const FINISHED_COLUMNS = Prisma.sql`t.id, t.swarm_id, t.owner_id, t.task_type, t.status::text AS status, t.assigned_agent_id, t.fencing_token,
  t.error, t.created_at, t.queued_at, t.assigned_at, t.started_at, t.completed_at`;

interface FinishedRow {
  id: string;
  swarm_id: string;
  owner_id: string;
  task_type: string;
  status: FinishedTask['status'];
  assigned_agent_id: string | null;
  fencing_token: bigint | null;
  error: string | null;
  created_at: Date;
  queued_at: Date | null;
  assigned_at: Date | null;
  started_at: Date | null;
  completed_at: Date;
}

const toFinished = (r: FinishedRow): FinishedTask => ({
  id: r.id,
  swarmId: r.swarm_id,
  ownerId: r.owner_id,
  taskType: r.task_type,
  status: r.status,
  agentId: r.assigned_agent_id,
  fencingToken: r.fencing_token,
  error: r.error,
  createdAt: r.created_at,
  queuedAt: r.queued_at,
  assignedAt: r.assigned_at,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});

interface QueueableRow {
  id: string;
  swarm_id: string;
  task_type: string;
  priority: number;
  required_capabilities: string[];
  queued_at: Date;
  available_at: Date | null;
}

const toQueueable = (r: QueueableRow): QueueableTask => ({
  id: r.id,
  swarmId: r.swarm_id,
  taskType: r.task_type,
  priority: r.priority,
  requiredCapabilities: r.required_capabilities,
  queuedAt: r.queued_at,
  availableAt: r.available_at,
});


/**
 * Every state change of a task after submission, as set-based SQL (one statement for a whole
 * batch: the engine's throughput depends on it). Each guard (status, fencing token) is in the
 * WHERE clause, so a stale or repeated change matches no row instead of doing harm twice.
 */
@Injectable()
export class TaskTransitions {
  /** Statements outside a caller's transaction go straight to the pg pool. */
  private readonly db: RawSql;

  constructor(private readonly sql: Sql) {
    this.db = sql.direct;
  }

  /** The highest fencing token ever issued, so the Redis counter can be raised past it. */
  async highestFencingToken(): Promise<bigint> {
    const [row] = await this.db.$queryRaw<{ max: bigint | null }[]>`SELECT max(fencing_token) AS max FROM task_attempts`;
    return row?.max ?? 0n;
  }

  /**
   * queued → assigned for the claims Postgres agrees with (still queued, token newer than any
   * before), with their attempt rows. Returns what the agents must be sent.
   */
  async commitAssignments(claims: AssignmentClaim[], ackTimeoutMs: number): Promise<CommittedAssignment[]> {
    if (claims.length === 0) return [];
    // Not waiting for the disk: an assignment lost in a crash is rebuilt (Sql.asyncCommit).
    const rows = await this.sql.asyncCommit.$queryRaw<
      Array<{
        id: string; swarm_id: string; owner_id: string; agent_id: string; task_type: string; payload: unknown; priority: number;
        attempt_count: number; max_attempts: number; timeout_ms: number; fencing_token: bigint; queued_at: Date; assigned_at: Date; deadline_at: Date;
      }>
    >`
      WITH input AS (
        SELECT * FROM unnest(${claims.map((c) => c.taskId)}::uuid[], ${claims.map((c) => c.agentId)}::uuid[],
                             ${claims.map((c) => c.fencingToken.toString())}::bigint[]) AS i(task_id, agent_id, fence)
      ), updated AS (
        UPDATE tasks t SET status = 'assigned', assigned_agent_id = i.agent_id, fencing_token = i.fence,
          attempt_count = t.attempt_count + 1, wait_reason = NULL, assigned_at = clock_timestamp(), started_at = NULL,
          progress = NULL, progress_message = NULL, available_at = NULL,
          deadline_at = clock_timestamp() + make_interval(secs => LEAST(t.timeout_ms, ${ackTimeoutMs}::int) / 1000.0),
          updated_at = clock_timestamp()
        FROM input i
        WHERE t.id = i.task_id AND t.status = 'queued' AND (t.fencing_token IS NULL OR t.fencing_token < i.fence)
        RETURNING t.id, t.swarm_id, t.owner_id, i.agent_id, t.task_type, t.payload, t.priority, t.attempt_count, t.max_attempts,
                  t.timeout_ms, t.fencing_token, t.queued_at, t.assigned_at, t.deadline_at
      ), attempts AS (
        INSERT INTO task_attempts (id, task_id, attempt_number, agent_id, fencing_token, status, assigned_at)
        SELECT gen_random_uuid(), u.id, u.attempt_count, u.agent_id, u.fencing_token, 'assigned', u.assigned_at FROM updated u
        ON CONFLICT (task_id, attempt_number) DO NOTHING
      )
      SELECT * FROM updated`;
    return rows.map((r) => ({
      taskId: r.id,
      swarmId: r.swarm_id,
      ownerId: r.owner_id,
      agentId: r.agent_id,
      taskType: r.task_type,
      payload: r.payload,
      priority: r.priority,
      attempt: r.attempt_count,
      maxAttempts: r.max_attempts,
      timeoutMs: r.timeout_ms,
      fencingToken: r.fencing_token,
      queuedAt: r.queued_at,
      assignedAt: r.assigned_at,
      deadlineAt: r.deadline_at,
    }));
  }

  async recordProgress(tx: Tx, reports: Array<{ taskId: string; fencingToken: string; percent: number; message: string | null }>): Promise<void> {
    if (reports.length === 0) return;
    await tx.$executeRaw`
      UPDATE tasks t SET progress = i.percent, progress_message = i.message, updated_at = clock_timestamp()
      FROM unnest(${reports.map((r) => r.taskId)}::uuid[], ${reports.map((r) => r.fencingToken)}::bigint[],
                  ${reports.map((r) => r.percent)}::float8[], ${reports.map((r) => r.message)}::text[]) AS i(task_id, fence, percent, message)
      WHERE t.id = i.task_id AND t.fencing_token = i.fence AND t.status IN ('assigned', 'running')`;
  }

  /**
   * Acks and results of a report batch as one statement: acks → running (the deadline becomes
   * timeout_ms from the ack), results → completed with their attempts (only the current
   * attempt's first result counts; startedAt is an ack that came in the same batch), and the
   * per agent × task type stats of the completions. Every change is guarded by status and
   * fencing token. On its own (`db` = the pool) it is atomic without a transaction; inside one
   * it joins it. Returns the tasks completed, each saying whether other tasks depend on it.
   */
  async applyAcksAndResults(
    db: Tx,
    acks: Array<{ taskId: string; fencingToken: string; at: Date }>,
    results: Array<{ taskId: string; fencingToken: string; at: Date; result: unknown; startedAt?: Date }>,
    smoothing: number,
  ): Promise<Array<FinishedTask & { hasDependants: boolean }>> {
    if (acks.length === 0 && results.length === 0) return [];
    const rows = await db.$queryRaw<Array<FinishedRow & { has_dependants: boolean }>>`
      WITH a AS (
        SELECT * FROM unnest(${acks.map((r) => r.taskId)}::uuid[], ${acks.map((r) => r.fencingToken)}::bigint[],
                             ${acks.map((r) => r.at.toISOString())}::timestamptz[]) AS a(task_id, fence, at)
      ), running AS (
        UPDATE tasks t SET status = 'running', started_at = a.at,
          deadline_at = a.at + make_interval(secs => t.timeout_ms / 1000.0), updated_at = clock_timestamp()
        FROM a WHERE t.id = a.task_id AND t.fencing_token = a.fence AND t.status = 'assigned'
        RETURNING t.id, t.fencing_token, t.started_at
      ), running_attempts AS (
        UPDATE task_attempts ta SET status = 'running', started_at = r.started_at
        FROM running r WHERE ta.task_id = r.id AND ta.fencing_token = r.fencing_token
      ), i AS (
        SELECT * FROM unnest(${results.map((r) => r.taskId)}::uuid[], ${results.map((r) => r.fencingToken)}::bigint[],
                             ${results.map((r) => r.at.toISOString())}::timestamptz[],
                             ${results.map((r) => (r.result === undefined ? null : JSON.stringify(r.result)))}::text[],
                             ${results.map((r) => r.startedAt?.toISOString() ?? null)}::timestamptz[]) AS i(task_id, fence, at, result, started_at)
      ), done AS (
        UPDATE tasks t SET status = 'completed', result = i.result::jsonb, completed_at = GREATEST(i.at, t.assigned_at),
          started_at = COALESCE(t.started_at, i.started_at, t.assigned_at), deadline_at = NULL, error = NULL, wait_reason = NULL,
          updated_at = clock_timestamp()
        FROM i WHERE t.id = i.task_id AND t.fencing_token = i.fence AND t.status IN ('assigned', 'running')
        RETURNING ${FINISHED_COLUMNS}, i.result,
          (t.parent_task_id IS NOT NULL OR EXISTS (SELECT 1 FROM task_dependencies d WHERE d.depends_on_task_id = t.id)) AS has_dependants
      ), done_attempts AS (
        UPDATE task_attempts ta SET status = 'completed', finished_at = d.completed_at, started_at = COALESCE(ta.started_at, d.started_at),
          result = d.result::jsonb
        FROM done d WHERE ta.task_id = d.id AND ta.fencing_token = d.fencing_token
      ), outcomes AS (
        SELECT d.assigned_agent_id AS agent_id, d.task_type, count(*)::int AS completed,
               sum(extract(epoch FROM d.completed_at - d.started_at) * 1000)::float8 AS execution_ms,
               avg(extract(epoch FROM d.completed_at - d.started_at) * 1000)::float8 AS latency
        FROM done d WHERE d.assigned_agent_id IS NOT NULL
        GROUP BY d.assigned_agent_id, d.task_type
      ), stats AS (
        INSERT INTO agent_task_stats AS s (agent_id, task_type, completed, failed, timed_out, total_execution_ms, success_rate_ewma, latency_ms_ewma, last_finished_at)
        SELECT o.agent_id, o.task_type, o.completed, 0, 0, COALESCE(o.execution_ms, 0), 1, o.latency, clock_timestamp()
        FROM outcomes o WHERE EXISTS (SELECT 1 FROM agents ag WHERE ag.id = o.agent_id)
        ORDER BY o.agent_id, o.task_type
        ON CONFLICT (agent_id, task_type) DO UPDATE SET
          completed = s.completed + EXCLUDED.completed,
          total_execution_ms = s.total_execution_ms + EXCLUDED.total_execution_ms,
          success_rate_ewma = s.success_rate_ewma + (1 - power(1 - ${smoothing}::float8, EXCLUDED.completed)) * (1 - s.success_rate_ewma),
          latency_ms_ewma = CASE WHEN EXCLUDED.latency_ms_ewma IS NULL THEN s.latency_ms_ewma
                                 WHEN s.latency_ms_ewma IS NULL THEN EXCLUDED.latency_ms_ewma
                                 ELSE s.latency_ms_ewma + (1 - power(1 - ${smoothing}::float8, GREATEST(1, EXCLUDED.completed)))
                                      * (EXCLUDED.latency_ms_ewma - s.latency_ms_ewma) END,
          last_finished_at = EXCLUDED.last_finished_at
      )
      SELECT ${Prisma.raw('id, swarm_id, owner_id, task_type, status, assigned_agent_id, fencing_token, error, created_at, queued_at, assigned_at, started_at, completed_at, has_dependants')} FROM done`;
    return rows.map((r) => ({ ...toFinished(r), hasDependants: r.has_dependants }));
  }

  /**
   * Locks in-flight tasks whose current attempt carries the given token (or any token).
   *
   * Only the expiry sweep skips rows another transaction holds: it runs every second and meets
   * a skipped row again. The other callers act once — a lost agent's attempts are handed back
   * when it is declared failed, a failure report is applied once — so a row they skipped was
   * never ended: e.g. an agent killed right after acknowledging an attempt, declared failed while
   * the report processor was applying that ack, left the task running on a dead agent until its
   * timeout_ms (5 minutes by default). They wait for the lock instead; Postgres then re-checks
   * the row as committed (still in flight, same agent or token) before returning it.
   */
  async lockInFlight(
    tx: Tx,
    where: { byToken?: Array<{ taskId: string; fencingToken: string }>; agentId?: string; agentIds?: string[]; expiredBefore?: Date; limit?: number },
  ): Promise<LockedInFlight[]> {
    let condition: Prisma.Sql;
    let locking = Prisma.sql`FOR UPDATE`;
    if (where.byToken) {
      if (where.byToken.length === 0) return [];
      condition = Prisma.sql`(t.id, t.fencing_token) IN (SELECT * FROM unnest(${where.byToken.map((b) => b.taskId)}::uuid[], ${where.byToken.map((b) => b.fencingToken)}::bigint[]))`;
    } else if (where.agentId) {
      condition = Prisma.sql`t.assigned_agent_id = ${where.agentId}::uuid`;
    } else if (where.agentIds) {
      if (where.agentIds.length === 0) return [];
      condition = Prisma.sql`t.assigned_agent_id = ANY(${where.agentIds}::uuid[])`;
    } else if (where.expiredBefore) {
      condition = Prisma.sql`t.deadline_at < ${where.expiredBefore}`;
      locking = Prisma.sql`FOR UPDATE SKIP LOCKED`;
    } else {
      throw new Error('lockInFlight needs a condition');
    }
    const rows = await tx.$queryRaw<
      Array<{
        id: string; swarm_id: string; owner_id: string; task_type: string; priority: number; required_capabilities: string[]; status: 'assigned' | 'running';
        assigned_agent_id: string | null; fencing_token: bigint; attempt_count: number; max_attempts: number; timeout_ms: number;
        created_at: Date; queued_at: Date | null; assigned_at: Date | null; started_at: Date | null;
      }>
    >`
      SELECT t.id, t.swarm_id, t.owner_id, t.task_type, t.priority, t.required_capabilities, t.status::text AS status, t.assigned_agent_id,
             t.fencing_token, t.attempt_count, t.max_attempts, t.timeout_ms, t.created_at, t.queued_at, t.assigned_at, t.started_at
      FROM tasks t
      WHERE ${condition} AND t.status IN ('assigned', 'running')
      ORDER BY t.id
      LIMIT ${where.limit ?? 10_000}
      ${locking}`;
    return rows.map((r) => ({
      id: r.id,
      swarmId: r.swarm_id,
      ownerId: r.owner_id,
      taskType: r.task_type,
      priority: r.priority,
      requiredCapabilities: r.required_capabilities,
      status: r.status,
      agentId: r.assigned_agent_id,
      fencingToken: r.fencing_token,
      attemptCount: r.attempt_count,
      maxAttempts: r.max_attempts,
      timeoutMs: r.timeout_ms,
      createdAt: r.created_at,
      queuedAt: r.queued_at,
      assignedAt: r.assigned_at,
      startedAt: r.started_at,
    }));
  }

  /** Ends locked in-flight attempts: each task is retried (queued again) or finishes. */
  async endAttempts(tx: Tx, endings: AttemptEnding[]): Promise<EndedAttempts> {
    if (endings.length === 0) return { retried: [], finished: [] };
    const ids = endings.map((e) => e.task.id);
    const tokens = endings.map((e) => e.task.fencingToken.toString());
    const attemptStatuses = endings.map((e) => e.attemptStatus);
    const errors = endings.map((e) => e.error);
    const retryables = endings.map((e) => e.retryable);
    await tx.$executeRaw`
      UPDATE task_attempts a SET status = i.status::attempt_status, error = i.error, retryable = i.retryable, finished_at = clock_timestamp()
      FROM unnest(${ids}::uuid[], ${tokens}::bigint[], ${attemptStatuses}::text[], ${errors}::text[], ${retryables}::boolean[])
        AS i(task_id, fence, status, error, retryable)
      WHERE a.task_id = i.task_id AND a.fencing_token = i.fence`;
    const retries = endings.filter((e) => e.retryAt);
    const finals = endings.filter((e) => !e.retryAt);
    let retried: QueueableTask[] = [];
    if (retries.length > 0) {
      const rows = await tx.$queryRaw<QueueableRow[]>`
        UPDATE tasks t SET status = 'queued', assigned_agent_id = NULL, deadline_at = NULL, available_at = i.retry_at,
          queued_at = i.retry_at, error = i.error, wait_reason = i.reason, updated_at = clock_timestamp()
        FROM unnest(${retries.map((e) => e.task.id)}::uuid[], ${retries.map((e) => e.task.fencingToken.toString())}::bigint[],
                    ${retries.map((e) => e.retryAt!.toISOString())}::timestamptz[], ${retries.map((e) => e.error)}::text[],
                    ${retries.map((e) => `retry ${e.task.attemptCount + 1}/${e.task.maxAttempts} after: ${e.error}`)}::text[])
          AS i(task_id, fence, retry_at, error, reason)
        WHERE t.id = i.task_id AND t.fencing_token = i.fence AND t.status IN ('assigned', 'running')
        RETURNING t.id, t.swarm_id, t.task_type, t.priority, t.required_capabilities, t.queued_at, t.available_at`;
      retried = rows.map(toQueueable);
    }
    let finished: FinishedTask[] = [];
    if (finals.length > 0) {
      const rows = await tx.$queryRaw<FinishedRow[]>`
        UPDATE tasks t SET status = i.status::task_status, deadline_at = NULL, error = i.error, completed_at = clock_timestamp(),
          wait_reason = NULL, updated_at = clock_timestamp()
        FROM unnest(${finals.map((e) => e.task.id)}::uuid[], ${finals.map((e) => e.task.fencingToken.toString())}::bigint[],
                    ${finals.map((e) => e.finalStatus ?? 'failed')}::text[], ${finals.map((e) => e.error)}::text[]) AS i(task_id, fence, status, error)
        WHERE t.id = i.task_id AND t.fencing_token = i.fence AND t.status IN ('assigned', 'running')
        RETURNING ${FINISHED_COLUMNS}`;
      finished = rows.map(toFinished);
    }
    return { retried, finished };
  }

  /**
   * Which of these agents have subtasks pinned to them (`agent:<id>`) still waiting in these
   * swarms: the only ones whose subtasks must move when they leave. One query for all.
   */
  async agentsWithPinnedWaitingWork(tx: Tx, agentIds: string[], swarmIds: string[]): Promise<string[]> {
    if (agentIds.length === 0 || swarmIds.length === 0) return [];
    const pins = agentIds.map((id) => `agent:${id}`);
    const rows = await tx.$queryRaw<Array<{ pin: string }>>`
      SELECT DISTINCT pin FROM tasks c, unnest(c.required_capabilities) AS pin
      WHERE c.swarm_id = ANY(${swarmIds}::uuid[]) AND c.parent_task_id IS NOT NULL AND c.status IN ('pending', 'queued')
        AND c.required_capabilities && ${pins}::text[] AND pin = ANY(${pins}::text[])`;
    return rows.map((r) => r.pin.slice('agent:'.length));
  }

  /** Whether any of these tasks is a child (replica, delegated subtask, pipeline stage): most are not. */
  async anyChild(tx: Tx, taskIds: string[]): Promise<boolean> {
    if (taskIds.length === 0) return false;
    const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM tasks WHERE id = ANY(${taskIds}::uuid[]) AND parent_task_id IS NOT NULL LIMIT 1`;
    return rows.length > 0;
  }

  /**
   * Redundant parents (still undecided) of tasks that just became final, locked: two
   * transactions finishing two replicas of one parent decide it one after the other.
   */
  async lockUndecidedParents(tx: Tx, childIds: string[]): Promise<RedundantParent[]> {
    if (childIds.length === 0) return [];
    return tx.$queryRaw<RedundantParent[]>`
      SELECT p.id, p.swarm_id AS "swarmId", p.owner_id AS "ownerId", p.task_type AS "taskType", p.redundancy
      FROM tasks p
      WHERE p.id IN (SELECT DISTINCT c.parent_task_id FROM tasks c WHERE c.id = ANY(${childIds}::uuid[]) AND c.parent_task_id IS NOT NULL)
        AND p.redundancy IS NOT NULL AND p.status = 'running'
      ORDER BY p.id
      FOR UPDATE OF p`;
  }

  async replicasOf(tx: Tx, parentIds: string[]): Promise<ReplicaRow[]> {
    if (parentIds.length === 0) return [];
    return tx.$queryRaw<ReplicaRow[]>`
      SELECT id, parent_task_id AS "parentId", status::text AS status, required_capabilities AS "requiredCapabilities", result, error
      FROM tasks WHERE parent_task_id = ANY(${parentIds}::uuid[]) ORDER BY created_at, id`;
  }

  /** Final state of a redundant parent, with the vote; only while it is still undecided. */
  async decideParent(tx: Tx, parentId: string, outcome: { status: 'completed' | 'failed'; result: unknown; error: string | null; consensus: unknown }): Promise<FinishedTask | null> {
    const rows = await tx.$queryRaw<FinishedRow[]>`
      UPDATE tasks t SET status = ${outcome.status}::task_status, result = ${JSON.stringify(outcome.result ?? null)}::jsonb, error = ${outcome.error},
        consensus = ${JSON.stringify(outcome.consensus)}::jsonb, completed_at = clock_timestamp(), progress = 100, updated_at = clock_timestamp()
      WHERE t.id = ${parentId}::uuid AND t.status = 'running'
      RETURNING ${FINISHED_COLUMNS}`;
    return rows.length === 1 ? toFinished(rows[0]) : null;
  }

  /** Measured success rates of agents on a task type (the weighted vote's default weights). */
  async successRates(tx: Tx, taskType: string, agentIds: string[]): Promise<Record<string, number>> {
    if (agentIds.length === 0) return {};
    const rows = await tx.$queryRaw<Array<{ agent_id: string; rate: number }>>`
      SELECT agent_id, success_rate_ewma AS rate FROM agent_task_stats WHERE task_type = ${taskType} AND agent_id = ANY(${agentIds}::uuid[])`;
    return Object.fromEntries(rows.map((r) => [r.agent_id, r.rate]));
  }

  /**
   * Parents run step by step by the engine (ring pipelines, leader-elected tasks) still
   * running, one row per child of theirs that just became final, locked.
   */
  async lockRunningFamilies(tx: Tx, childIds: string[]): Promise<FamilyStep[]> {
    if (childIds.length === 0) return [];
    return tx.$queryRaw<FamilyStep[]>`
      SELECT p.id, CASE WHEN p.pipeline IS NOT NULL THEN 'pipeline' ELSE 'verification' END AS kind,
             p.swarm_id AS "swarmId", p.owner_id AS "ownerId", p.task_type AS "taskType", p.priority, p.max_attempts AS "maxAttempts",
             p.timeout_ms AS "timeoutMs", p.required_capabilities AS "requiredCapabilities", p.payload, coalesce(p.pipeline, p.verification) AS spec,
             c.id AS "childId", c.status::text AS "childStatus", c.result AS "childResult", c.error AS "childError"
      FROM tasks c JOIN tasks p ON p.id = c.parent_task_id
      WHERE c.id = ANY(${childIds}::uuid[]) AND (p.pipeline IS NOT NULL OR p.verification IS NOT NULL) AND p.status = 'running'
      ORDER BY p.id, c.id
      FOR UPDATE OF p`;
  }

  /** Live members of a swarm with all of these capabilities. */
  async liveCapableMembers(tx: Tx, swarmId: string, capabilities: string[]): Promise<string[]> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT a.id FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
      WHERE m.swarm_id = ${swarmId}::uuid AND m.status = 'active' AND a.status IN ('idle', 'busy') AND a.capabilities @> ${capabilities}::text[]`;
    return rows.map((r) => r.id);
  }

  async resultOf(tx: Tx, taskId: string): Promise<unknown> {
    const rows = await tx.$queryRaw<Array<{ result: unknown }>>`SELECT result FROM tasks WHERE id = ${taskId}::uuid`;
    return rows[0]?.result ?? null;
  }

  /** A queued child task of a family parent: the next pipeline stage, a leader's run, a verification. */
  async insertChildTask(tx: Tx, parent: FamilyStep, child: { id: string; payload: unknown; requiredCapabilities: string[]; taskType?: string }): Promise<QueueableTask> {
    const [row] = await tx.$queryRaw<QueueableRow[]>`
      INSERT INTO tasks (id, owner_id, swarm_id, parent_task_id, task_type, payload, priority, required_capabilities, status, max_attempts, timeout_ms, created_at, queued_at, updated_at)
      VALUES (${child.id}::uuid, ${parent.ownerId}::uuid, ${parent.swarmId}::uuid, ${parent.id}::uuid, ${child.taskType ?? parent.taskType}, ${JSON.stringify(child.payload ?? null)}::jsonb,
              ${parent.priority}::int, ${child.requiredCapabilities}::text[], 'queued', ${parent.maxAttempts}::int, ${parent.timeoutMs}::int,
              clock_timestamp(), clock_timestamp(), clock_timestamp())
      RETURNING id, swarm_id, task_type, priority, required_capabilities, queued_at, available_at`;
    return toQueueable(row);
  }

  async updateFamilySpec(tx: Tx, parentId: string, kind: FamilyKind, spec: unknown): Promise<void> {
    const column = Prisma.raw(FAMILY_COLUMNS[kind]);
    await tx.$executeRaw`UPDATE tasks SET ${column} = ${JSON.stringify(spec)}::jsonb, updated_at = clock_timestamp() WHERE id = ${parentId}::uuid`;
  }

  /** A family parent's end, with its final spec; only while it is still running. */
  async finishFamily(tx: Tx, parentId: string, kind: FamilyKind, outcome: { status: 'completed' | 'failed'; result: unknown; error: string | null; spec: unknown }): Promise<FinishedTask | null> {
    const column = Prisma.raw(FAMILY_COLUMNS[kind]);
    const rows = await tx.$queryRaw<FinishedRow[]>`
      UPDATE tasks t SET status = ${outcome.status}::task_status, result = ${JSON.stringify(outcome.result ?? null)}::jsonb, error = ${outcome.error},
        ${column} = ${JSON.stringify(outcome.spec)}::jsonb, completed_at = clock_timestamp(), progress = 100, updated_at = clock_timestamp()
      WHERE t.id = ${parentId}::uuid AND t.status = 'running'
      RETURNING ${FINISHED_COLUMNS}`;
    return rows.length === 1 ? toFinished(rows[0]) : null;
  }

  /** Delegated subtasks that just became final, with the agent holding their parent now. */
  async delegatorsOf(tx: Tx, childIds: string[]): Promise<FinishedSubtask[]> {
    if (childIds.length === 0) return [];
    return tx.$queryRaw<FinishedSubtask[]>`
      SELECT c.id AS "taskId", p.id AS "parentId", p.assigned_agent_id AS "delegatorId", c.status::text AS status, c.result, c.error,
             c.required_capabilities AS "requiredCapabilities"
      FROM tasks c JOIN tasks p ON p.id = c.parent_task_id
      WHERE c.id = ANY(${childIds}::uuid[]) AND p.redundancy IS NULL AND p.status IN ('assigned', 'running') AND p.assigned_agent_id IS NOT NULL`;
  }

  /** Subtasks (replicas, delegated parts) still open under parents that just became final: no longer needed. */
  async openReplicasOf(tx: Tx, parentIds: string[]): Promise<Array<{ id: string; ownerId: string }>> {
    if (parentIds.length === 0) return [];
    return tx.$queryRaw<Array<{ id: string; ownerId: string }>>`
      SELECT c.id, c.owner_id AS "ownerId" FROM tasks c JOIN tasks p ON p.id = c.parent_task_id
      WHERE c.parent_task_id = ANY(${parentIds}::uuid[]) AND c.status IN ('pending', 'queued', 'assigned', 'running')`;
  }

  /** Cancels tasks that are not final yet (any status). Returns those cancelled, with their attempt's agent. */
  async cancel(tx: Tx, ownerId: string, taskIds: string[], reason: string): Promise<FinishedTask[]> {
    if (taskIds.length === 0) return [];
    await tx.$executeRaw`
      UPDATE task_attempts a SET status = 'cancelled', error = ${reason}, finished_at = clock_timestamp()
      FROM tasks t WHERE t.id = ANY(${taskIds}::uuid[]) AND t.owner_id = ${ownerId}::uuid AND a.task_id = t.id
        AND a.fencing_token = t.fencing_token AND t.status IN ('assigned', 'running') AND a.status IN ('assigned', 'running')`;
    const rows = await tx.$queryRaw<FinishedRow[]>`
      UPDATE tasks t SET status = 'cancelled', error = ${reason}, completed_at = clock_timestamp(), deadline_at = NULL,
        wait_reason = NULL, updated_at = clock_timestamp()
      WHERE t.id = ANY(${taskIds}::uuid[]) AND t.owner_id = ${ownerId}::uuid
        AND t.status IN ('pending', 'queued', 'assigned', 'running')
      RETURNING ${FINISHED_COLUMNS}`;
    return rows.map(toFinished);
  }

  /**
   * Settles the dependants of tasks that just became final: released (queued) when every
   * prerequisite is final and none of their `success` prerequisites failed; failed otherwise —
   * which may in turn settle their own dependants, so it repeats until nothing changes.
   * Dependants are locked before their prerequisites are read: two transactions finishing two
   * prerequisites of one task then settle it one after the other, and the second sees both.
   */
  async settleDependants(tx: Tx, finishedIds: string[], evaluate: DependencyEvaluator): Promise<DependencySettlement> {
    const released: QueueableTask[] = [];
    const failed: FinishedTask[] = [];
    let frontier = finishedIds;
    while (frontier.length > 0) {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT t.id FROM tasks t
        WHERE t.status = 'pending' AND t.id IN (SELECT d.task_id FROM task_dependencies d WHERE d.depends_on_task_id = ANY(${frontier}::uuid[]))
        ORDER BY t.id FOR UPDATE`;
      if (locked.length === 0) break;
      const dependants = locked.map((r) => r.id);
      const deps = await tx.$queryRaw<DependencyRow[]>`
        SELECT d.task_id, d.depends_on_task_id, d.type::text AS type, p.status::text AS prerequisite_status
        FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on_task_id
        WHERE d.task_id = ANY(${dependants}::uuid[])`;
      const byTask = new Map<string, DependencyRow[]>();
      for (const row of deps) byTask.set(row.task_id, [...(byTask.get(row.task_id) ?? []), row]);
      const toRelease: string[] = [];
      const toFail: Array<{ id: string; reason: string }> = [];
      const toWait: Array<{ id: string; reason: string }> = [];
      for (const id of dependants) {
        const verdict = evaluate(
          (byTask.get(id) ?? []).map((r) => ({ prerequisiteId: r.depends_on_task_id, prerequisiteStatus: r.prerequisite_status, type: r.type })),
        );
        if (verdict.state === 'ready') toRelease.push(id);
        else if (verdict.state === 'failed') toFail.push({ id, reason: verdict.reason });
        else toWait.push({ id, reason: verdict.reason });
      }
      if (toRelease.length > 0) {
        const rows = await tx.$queryRaw<QueueableRow[]>`
          UPDATE tasks t SET status = 'queued', queued_at = clock_timestamp(), wait_reason = NULL, updated_at = clock_timestamp()
          WHERE t.id = ANY(${toRelease}::uuid[]) AND t.status = 'pending'
          RETURNING t.id, t.swarm_id, t.task_type, t.priority, t.required_capabilities, t.queued_at, t.available_at`;
        released.push(...rows.map(toQueueable));
      }
      if (toWait.length > 0) {
        await tx.$executeRaw`
          UPDATE tasks t SET wait_reason = i.reason FROM unnest(${toWait.map((w) => w.id)}::uuid[], ${toWait.map((w) => w.reason)}::text[]) AS i(id, reason)
          WHERE t.id = i.id AND t.status = 'pending' AND t.wait_reason IS DISTINCT FROM i.reason`;
      }
      frontier = [];
      if (toFail.length > 0) {
        const rows = await tx.$queryRaw<FinishedRow[]>`
          UPDATE tasks t SET status = 'failed', error = i.reason, completed_at = clock_timestamp(), wait_reason = NULL, updated_at = clock_timestamp()
          FROM unnest(${toFail.map((f) => f.id)}::uuid[], ${toFail.map((f) => f.reason)}::text[]) AS i(id, reason)
          WHERE t.id = i.id AND t.status = 'pending'
          RETURNING ${FINISHED_COLUMNS}`;
        const finished = rows.map(toFinished);
        failed.push(...finished);
        frontier = finished.map((f) => f.id);
      }
    }
    return { released, failed };
  }

  /** Learns from finished attempts: per agent × task type counts and exponentially weighted rates. */
  async recordAgentStats(
    tx: Tx,
    outcomes: Array<{ agentId: string; taskType: string; completed: number; failed: number; timedOut: number; executionMs: number; meanLatencyMs: number | null }>,
    smoothing: number,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    // A batch of n outcomes moves the average as much as n single updates would: weight 1-(1-a)^n.
    await tx.$executeRaw`
      INSERT INTO agent_task_stats AS s (agent_id, task_type, completed, failed, timed_out, total_execution_ms, success_rate_ewma, latency_ms_ewma, last_finished_at)
      SELECT i.agent_id, i.task_type, i.completed, i.failed, i.timed_out, i.execution_ms,
             i.completed::float8 / GREATEST(1, i.completed + i.failed + i.timed_out), i.latency, clock_timestamp()
      FROM unnest(${outcomes.map((o) => o.agentId)}::uuid[], ${outcomes.map((o) => o.taskType)}::text[], ${outcomes.map((o) => o.completed)}::int[],
                  ${outcomes.map((o) => o.failed)}::int[], ${outcomes.map((o) => o.timedOut)}::int[], ${outcomes.map((o) => o.executionMs)}::float8[],
                  ${outcomes.map((o) => o.meanLatencyMs)}::float8[]) AS i(agent_id, task_type, completed, failed, timed_out, execution_ms, latency)
      WHERE EXISTS (SELECT 1 FROM agents a WHERE a.id = i.agent_id)
      ON CONFLICT (agent_id, task_type) DO UPDATE SET
        completed = s.completed + EXCLUDED.completed,
        failed = s.failed + EXCLUDED.failed,
        timed_out = s.timed_out + EXCLUDED.timed_out,
        total_execution_ms = s.total_execution_ms + EXCLUDED.total_execution_ms,
        success_rate_ewma = s.success_rate_ewma + (1 - power(1 - ${smoothing}::float8, EXCLUDED.completed + EXCLUDED.failed + EXCLUDED.timed_out))
                            * (EXCLUDED.success_rate_ewma - s.success_rate_ewma),
        latency_ms_ewma = CASE WHEN EXCLUDED.latency_ms_ewma IS NULL THEN s.latency_ms_ewma
                               WHEN s.latency_ms_ewma IS NULL THEN EXCLUDED.latency_ms_ewma
                               ELSE s.latency_ms_ewma + (1 - power(1 - ${smoothing}::float8, GREATEST(1, EXCLUDED.completed)))
                                    * (EXCLUDED.latency_ms_ewma - s.latency_ms_ewma) END,
        last_finished_at = EXCLUDED.last_finished_at`;
  }

  async appendTaskEvents(tx: Tx, events: Array<{ swarmId: string; ownerId: string; type: string; agentId: string | null; taskId: string; data: Record<string, unknown> }>): Promise<Array<{ id: bigint; created_at: Date }>> {
    if (events.length === 0) return [];
    return tx.$queryRaw<Array<{ id: bigint; created_at: Date }>>`
      INSERT INTO swarm_events (swarm_id, owner_id, type, agent_id, task_id, data)
      SELECT i.swarm_id, i.owner_id, i.type, i.agent_id, i.task_id, i.data::jsonb
      FROM unnest(${events.map((e) => e.swarmId)}::uuid[], ${events.map((e) => e.ownerId)}::uuid[], ${events.map((e) => e.type)}::text[],
                  ${events.map((e) => e.agentId)}::uuid[], ${events.map((e) => e.taskId)}::uuid[], ${events.map((e) => JSON.stringify(e.data))}::text[])
        WITH ORDINALITY AS i(swarm_id, owner_id, type, agent_id, task_id, data, n)
      ORDER BY i.n
      RETURNING id, created_at`;
  }

  /** Queued tasks older than `before` (reconciler: are they in Redis?). */
  async queuedBefore(before: Date, limit: number): Promise<QueueableTask[]> {
    const rows = await this.db.$queryRaw<QueueableRow[]>`
      SELECT id, swarm_id, task_type, priority, required_capabilities, queued_at, available_at FROM tasks
      WHERE status = 'queued' AND queued_at < ${before} ORDER BY queued_at LIMIT ${limit}`;
    return rows.map(toQueueable);
  }

  async swarmsWithQueuedTasks(): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ swarm_id: string }[]>`SELECT DISTINCT swarm_id FROM tasks WHERE status = 'queued'`;
    return rows.map((r) => r.swarm_id);
  }

  /** Pending tasks whose prerequisites are all final: a lost release the reconciler repairs. */
  async pendingWithFinalPrerequisites(limit: number): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      SELECT t.id FROM tasks t WHERE t.status = 'pending'
        AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on_task_id
                        WHERE d.task_id = t.id AND p.status IN ('pending', 'queued', 'assigned', 'running'))
      LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  /** Which of these (task, token) attempts Postgres still has in flight. */
  async inFlightConfirmed(entries: Array<{ taskId: string; fencingToken: string }>): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const rows = await this.db.$queryRaw<{ id: string; fencing_token: bigint }[]>`
      SELECT t.id, t.fencing_token FROM tasks t
      WHERE (t.id, t.fencing_token) IN (SELECT * FROM unnest(${entries.map((e) => e.taskId)}::uuid[], ${entries.map((e) => e.fencingToken)}::bigint[]))
        AND t.status IN ('assigned', 'running')`;
    return new Set(rows.map((r) => `${r.id}:${r.fencing_token}`));
  }

  async setWaitReasons(reasons: Array<{ taskId: string; reason: string | null }>): Promise<void> {
    if (reasons.length === 0) return;
    await this.db.$executeRaw`
      UPDATE tasks t SET wait_reason = i.reason
      FROM unnest(${reasons.map((r) => r.taskId)}::uuid[], ${reasons.map((r) => r.reason)}::text[]) AS i(id, reason)
      WHERE t.id = i.id AND t.status = 'queued' AND t.wait_reason IS DISTINCT FROM i.reason`;
  }
}


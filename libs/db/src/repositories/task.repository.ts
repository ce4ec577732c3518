import { Injectable } from '@nestjs/common';
import { Prisma, Task, TaskAttempt, TaskStatus } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService } from '../prisma.service';
import type { RawSql } from '../sql';

type Db = PrismaService | Prisma.TransactionClient;

export type TaskWithDependencies = Task & { dependsOn: Array<{ dependsOnTaskId: string; type: 'completion' | 'success' }> };
export type TaskWithAttempts = TaskWithDependencies & { attempts: TaskAttempt[] };

/** The swarm a submission goes to, and the tasks that already hold its idempotency keys. */
export interface SubmissionTarget {
  id: string;
  status: string;
  existing: Array<{ id: string; swarmId: string; idempotencyKey: string }>;
}

/** What insertSubmitted found and did. */
export interface SubmissionOutcome {
  swarmId: string;
  swarmStatus: string;
  /** The swarm's settings, which rows without their own value took. */
  maxAttempts: number;
  timeoutMs: number;
  /** Rows not inserted because a task already holds their idempotency key (none when the swarm refused them all). */
  skipped: Set<string>;
}

export interface TaskFilter {
  status?: TaskStatus;
  taskType?: string;
  agentId?: string;
}

const WITH_DEPENDENCIES = { dependsOn: { select: { dependsOnTaskId: true, type: true } } } satisfies Prisma.TaskInclude;

/** Reads of tasks for their owner: another owner's task (or swarm) reads as absent. */
@Injectable()
export class TaskRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findForOwner(ownerId: string, swarmId: string, taskId: string): Promise<TaskWithAttempts | null> {
    return this.prisma.task.findFirst({
      where: { id: taskId, swarmId, ownerId },
      include: { ...WITH_DEPENDENCIES, attempts: { orderBy: { attemptNumber: 'asc' } } },
    });
  }

  async listForOwner(ownerId: string, swarmId: string, filter: TaskFilter, page: PageRequest): Promise<Page<TaskWithDependencies>> {
    const rows = await this.prisma.task.findMany({
      where: {
        ownerId,
        swarmId,
        status: filter.status,
        taskType: filter.taskType,
        assignedAgentId: filter.agentId,
        ...(page.cursor ? { id: { lt: page.cursor } } : {}),
      },
      orderBy: { id: 'desc' },
      take: page.limit + 1,
      include: WITH_DEPENDENCIES,
    });
    return toPage(rows, page.limit);
  }

  findManyByIds(db: Db, ownerId: string, ids: string[]): Promise<TaskWithDependencies[]> {
    return db.task.findMany({ where: { ownerId, id: { in: ids } }, include: WITH_DEPENDENCIES });
  }

  findByIdempotencyKeys(db: Db, ownerId: string, keys: string[]): Promise<Array<{ id: string; swarmId: string; idempotencyKey: string | null }>> {
    if (keys.length === 0) return Promise.resolve([]);
    return db.task.findMany({ where: { ownerId, idempotencyKey: { in: keys } }, select: { id: true, swarmId: true, idempotencyKey: true } });
  }

  /**
   * Locks prerequisites against status changes until the submitting transaction commits: the
   * transaction that finishes one of them then sees the new dependant and settles it.
   */
  async lockPrerequisites(tx: Prisma.TransactionClient, ownerId: string, swarmId: string, ids: string[]): Promise<Map<string, TaskStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await tx.$queryRaw<{ id: string; status: TaskStatus }[]>`
      SELECT id, status::text AS status FROM tasks
      WHERE id = ANY(${ids}::uuid[]) AND owner_id = ${ownerId}::uuid AND swarm_id = ${swarmId}::uuid
      ORDER BY id FOR SHARE`;
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /**
   * The submission's reads in one round trip. Null when the owner has no such swarm, whatever
   * the keys.
   */
  async findSubmissionTarget(ownerId: string, swarmId: string, idempotencyKeys: string[]): Promise<SubmissionTarget | null> {
    const rows = await this.prisma.$queryRaw<SubmissionTarget[]>`
      SELECT s.id, s.status::text AS status,
             COALESCE((SELECT json_agg(json_build_object('id', t.id, 'swarmId', t.swarm_id, 'idempotencyKey', t.idempotency_key))
                       FROM tasks t WHERE t.owner_id = s.owner_id AND t.idempotency_key = ANY(${idempotencyKeys}::text[])), '[]'::json) AS existing
      FROM swarms s WHERE s.id = ${swarmId}::uuid AND s.owner_id = ${ownerId}::uuid`;
    return rows[0] ?? null;
  }

  /**
   * Inserts submitted tasks and their dependencies into the owner's swarm, unless it is
   * terminated, in one statement: atomic without a transaction, and a batch of 1,000 is one
   * round trip. A row without max attempts or timeout takes the swarm's max_task_attempts /
   * task_timeout_ms, or `defaults` for a setting the stored configuration predates. Rows whose
   * idempotency key already exists are skipped, decided by the unique index even under
   * concurrent requests, and so are their dependencies; without `withDependencies` only the
   * tasks are inserted (the caller inserts dependencies once it knows which keys it lost).
   * Null when the owner has no such swarm.
   */
  async insertSubmitted(
    db: Db | RawSql,
    ownerId: string,
    swarmId: string,
    createdAt: Date,
    rows: readonly SubmittedTaskRow[],
    withDependencies: boolean,
    defaults: { maxAttempts: number; timeoutMs: number },
  ): Promise<SubmissionOutcome | null> {
    const now = createdAt.toISOString();
    const { fields, payloads } = encodeSubmittedTasks(rows, withDependencies);
    const outcome = await db.$queryRaw<Array<Omit<SubmissionOutcome, 'skipped'> & { skipped: string[] | null }>>`
      WITH swarm AS MATERIALIZED (
        SELECT s.id, s.status,
               COALESCE((s.configuration->>'max_task_attempts')::int, ${defaults.maxAttempts}::int) AS max_attempts,
               COALESCE((s.configuration->>'task_timeout_ms')::int, ${defaults.timeoutMs}::int) AS timeout_ms
        FROM swarms s WHERE s.id = ${swarmId}::uuid AND s.owner_id = ${ownerId}::uuid
      ),
      input AS MATERIALIZED (
        SELECT (r->>0)::uuid AS id, r, p FROM ROWS FROM (jsonb_array_elements(${fields}::jsonb), jsonb_array_elements(${payloads}::jsonb)) AS x(r, p)
      ),
      inserted AS (
        INSERT INTO tasks (id, owner_id, swarm_id, task_type, payload, priority, required_capabilities, status, max_attempts, timeout_ms,
                           idempotency_key, wait_reason, error, created_at, queued_at, completed_at, updated_at)
        SELECT input.id, ${ownerId}::uuid, swarm.id, r->>1, p, (r->>2)::int,
               ARRAY(SELECT jsonb_array_elements_text(r->3)), (r->>4)::task_status,
               COALESCE((r->>5)::int, swarm.max_attempts), COALESCE((r->>6)::int, swarm.timeout_ms),
               r->>7, r->>8, r->>9, ${now}::timestamptz,
               CASE WHEN r->>4 = 'queued' THEN ${now}::timestamptz END, CASE WHEN r->>4 = 'failed' THEN ${now}::timestamptz END, ${now}::timestamptz
        FROM input CROSS JOIN swarm
        WHERE swarm.status <> 'terminated'
        ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id
      ),
      dependencies AS (
        INSERT INTO task_dependencies (task_id, depends_on_task_id, type)
        SELECT input.id, d::uuid, (r->>11)::dependency_type
        FROM input CROSS JOIN LATERAL jsonb_array_elements_text(r->10) AS d
        WHERE input.id IN (SELECT id FROM inserted)
        ON CONFLICT DO NOTHING
      )
      SELECT swarm.id AS "swarmId", swarm.status::text AS "swarmStatus", swarm.max_attempts AS "maxAttempts", swarm.timeout_ms AS "timeoutMs",
             CASE WHEN swarm.status <> 'terminated' THEN (SELECT json_agg(input.id) FROM input WHERE input.id NOT IN (SELECT id FROM inserted)) END AS skipped
      FROM swarm`;
    const row = outcome[0];
    return row ? { ...row, skipped: new Set(row.skipped ?? []) } : null;
  }

  async insertDependencies(db: Db, rows: ReadonlyArray<{ taskId: string; dependsOnTaskId: string; type: string }>): Promise<void> {
    if (rows.length === 0) return;
    const json = JSON.stringify(rows.map((d) => [d.taskId, d.dependsOnTaskId, d.type]));
    await db.$executeRaw`
      INSERT INTO task_dependencies (task_id, depends_on_task_id, type)
      SELECT (d->>0)::uuid, (d->>1)::uuid, (d->>2)::dependency_type FROM jsonb_array_elements(${json}::jsonb) AS d
      ON CONFLICT DO NOTHING`;
  }
}

/** A task as submitted, before it has attempts. */
export interface SubmittedTaskRow {
  id: string;
  taskType: string;
  /** The payload as JSON text (already serialised to measure it), `null` when there is none. */
  payloadJson: string;
  priority: number;
  requiredCapabilities: string[];
  /** queued_at (queued) and completed_at (failed) are the creation time. */
  status: 'pending' | 'queued' | 'failed';
  /** Null: the swarm's setting. */
  maxAttempts: number | null;
  /** Null: the swarm's setting. */
  timeoutMs: number | null;
  idempotencyKey: string | null;
  waitReason: string | null;
  error: string | null;
  /** Prerequisite task ids. */
  dependsOn: readonly string[];
  dependencyType: 'completion' | 'success';
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/;
const NONE: readonly never[] = Object.freeze([]);

/**
 * Two JSON text parameters for the whole batch, zipped back row by row in SQL: arrays as
 * parameters cost the driver an escape per element, and the payloads are joined as they were
 * measured instead of serialised again. Positions are those insertSubmitted reads.
 */
function encodeSubmittedTasks(rows: readonly SubmittedTaskRow[], withDependencies: boolean): { fields: string; payloads: string } {
  const fields = new Array<unknown[]>(rows.length);
  const payloads = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i += 1) {
    const r = rows[i]!;
    fields[i] = [
      r.id,
      r.taskType,
      r.priority,
      r.requiredCapabilities,
      r.status,
      r.maxAttempts,
      r.timeoutMs,
      storedText(r.idempotencyKey),
      r.waitReason,
      r.error,
      withDependencies ? r.dependsOn : NONE,
      r.dependencyType,
    ];
    payloads[i] = r.payloadJson;
  }
  return { fields: JSON.stringify(fields), payloads: `[${payloads.join(',')}]` };
}

/**
 * A text parameter reached Postgres as UTF-8, a lone surrogate becoming U+FFFD; in JSON it would
 * be an escape that jsonb refuses. Keep storing what a text parameter stored.
 */
function storedText(value: string | null): string | null {
  return value !== null && LONE_SURROGATE.test(value) ? Buffer.from(value, 'utf8').toString('utf8') : value;
}

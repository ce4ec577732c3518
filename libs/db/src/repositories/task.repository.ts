import { Injectable } from '@nestjs/common';
import { Prisma, Task, TaskAttempt, TaskStatus } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService } from '../prisma.service';

type Db = PrismaService | Prisma.TransactionClient;

export type TaskWithDependencies = Task & { dependsOn: Array<{ dependsOnTaskId: string; type: 'completion' | 'success' }> };
export type TaskWithAttempts = TaskWithDependencies & { attempts: TaskAttempt[] };

/** A task as submitted, before it has attempts. */
export interface NewTaskRow {
  id: string;
  ownerId: string;
  swarmId: string;
  taskType: string;
  payload: unknown;
  priority: number;
  requiredCapabilities: string[];
  status: 'pending' | 'queued' | 'failed';
  maxAttempts: number;
  timeoutMs: number;
  idempotencyKey: string | null;
  waitReason: string | null;
  error: string | null;
  createdAt: Date;
  queuedAt: Date | null;
  completedAt: Date | null;
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
   * Inserts in one statement (a batch of 1,000 is one round trip); rows whose idempotency key
   * already exists are skipped, decided by the unique index even under concurrent requests.
   * Returns the ids inserted.
   */
  async insertMany(tx: Prisma.TransactionClient, rows: NewTaskRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO tasks (id, owner_id, swarm_id, task_type, payload, priority, required_capabilities, status, max_attempts, timeout_ms,
                         idempotency_key, wait_reason, error, created_at, queued_at, completed_at, updated_at)
      SELECT r.id, r.owner_id, r.swarm_id, r.task_type, r.payload::jsonb, r.priority,
             ARRAY(SELECT jsonb_array_elements_text(r.capabilities::jsonb)), r.status::task_status, r.max_attempts, r.timeout_ms,
             r.idempotency_key, r.wait_reason, r.error, r.created_at, r.queued_at, r.completed_at, r.created_at
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.ownerId)}::uuid[], ${rows.map((r) => r.swarmId)}::uuid[],
                  ${rows.map((r) => r.taskType)}::text[], ${rows.map((r) => JSON.stringify(r.payload ?? null))}::text[], ${rows.map((r) => r.priority)}::int[],
                  ${rows.map((r) => JSON.stringify(r.requiredCapabilities))}::text[], ${rows.map((r) => r.status)}::text[],
                  ${rows.map((r) => r.maxAttempts)}::int[], ${rows.map((r) => r.timeoutMs)}::int[], ${rows.map((r) => r.idempotencyKey)}::text[],
                  ${rows.map((r) => r.waitReason)}::text[], ${rows.map((r) => r.error)}::text[], ${rows.map((r) => r.createdAt.toISOString())}::timestamptz[],
                  ${rows.map((r) => iso(r.queuedAt))}::timestamptz[], ${rows.map((r) => iso(r.completedAt))}::timestamptz[])
        AS r(id, owner_id, swarm_id, task_type, payload, priority, capabilities, status, max_attempts, timeout_ms, idempotency_key,
             wait_reason, error, created_at, queued_at, completed_at)
      ON CONFLICT (owner_id, idempotency_key) DO NOTHING
      RETURNING id`;
    return new Set(inserted.map((r) => r.id));
  }

  async insertDependencies(tx: Prisma.TransactionClient, rows: Prisma.TaskDependencyCreateManyInput[]): Promise<void> {
    if (rows.length > 0) await tx.taskDependency.createMany({ data: rows, skipDuplicates: true });
  }
}

import { Injectable } from '@nestjs/common';
import { Prisma, Task, TaskAttempt, TaskStatus } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService } from '../prisma.service';

type Db = PrismaService | Prisma.TransactionClient;

export type TaskWithDependencies = Task & { dependsOn: Array<{ dependsOnTaskId: string; type: 'completion' | 'success' }> };
export type TaskWithAttempts = TaskWithDependencies & { attempts: TaskAttempt[] };

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

  /** Inserts; rows whose idempotency key already exists are skipped. Returns the ids inserted. */
  async insertMany(tx: Prisma.TransactionClient, rows: Prisma.TaskCreateManyInput[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted = await tx.task.createManyAndReturn({ data: rows, skipDuplicates: true, select: { id: true } });
    return new Set(inserted.map((r) => r.id));
  }

  async insertDependencies(tx: Prisma.TransactionClient, rows: Prisma.TaskDependencyCreateManyInput[]): Promise<void> {
    if (rows.length > 0) await tx.taskDependency.createMany({ data: rows, skipDuplicates: true });
  }
}

import { Injectable, Logger } from '@nestjs/common';
import type { SubmitTaskDto } from '@swarm/contracts';
import { NewTaskRow, Prisma, PrismaService, SwarmRepository, TaskRepository, TaskWithDependencies } from '@swarm/db';
import {
  Conflict,
  DependencyType,
  evaluateDependencies,
  findDependencyCycle,
  NotFound,
  normaliseCapabilities,
  readStoredConfiguration,
  requirementClass,
  TASK_PRIORITY,
  ValidationFailed,
} from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';

/** A task's payload (and an agent's result) is kept in Postgres and sent over sockets: bounded. */
export const TASK_PAYLOAD_MAX_BYTES = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SubmitTasksCommand {
  actor: Actor;
  swarmId: string;
  tasks: SubmitTaskDto[];
}

export interface SubmitTasksResult {
  tasks: TaskWithDependencies[];
  /** How many of them this request created (the others were idempotent repeats). */
  created: number;
}

interface PlannedTask {
  index: number;
  id: string;
  spec: SubmitTaskDto;
  dependsOn: string[];
  dependencyType: DependencyType;
}

/**
 * Submits one task or a batch, atomically: every row, dependency and idempotency key in one
 * transaction, then the dispatchable ones are handed to Redis. A crash between the two leaves
 * queued rows the reconciler puts in Redis later; nothing is lost.
 */
@Injectable()
export class SubmitTasks {
  private readonly logger = new Logger(SubmitTasks.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly tasks: TaskRepository,
    private readonly dispatch: TaskDispatchStore,
    private readonly metrics: Metrics,
  ) {}

  async execute(command: SubmitTasksCommand): Promise<SubmitTasksResult> {
    const ownerId = command.actor.principal.ownerId;
    checkPayloadSizes(command.tasks);
    const { ids, created, queued, insertedRows, dependencyRows } = await this.prisma.$transaction(
      (tx) => this.insert(tx, ownerId, command),
      { timeout: 30_000 },
    );
    if (queued.length > 0) {
      try {
        await this.dispatch.enqueue(command.swarmId, queued);
      } catch (error) {
        // Stored and queued in Postgres: the reconciler will enqueue them; do not fail the request.
        this.logger.warn({ err: error, swarmId: command.swarmId, tasks: queued.length }, 'could not enqueue tasks in Redis; the reconciler will');
      }
    }
    this.metrics.tasksSubmitted.inc(created);
    // New tasks are answered from what was inserted; only idempotent repeats are read back.
    const byId = new Map<string, TaskWithDependencies>(insertedRows.map((r) => [r.id, asStoredTask(r, dependencyRows)]));
    const existing = [...new Set(ids)].filter((id) => !byId.has(id));
    if (existing.length > 0) for (const row of await this.tasks.findManyByIds(this.prisma, ownerId, existing)) byId.set(row.id, row);
    return { tasks: ids.map((id) => byId.get(id)!), created };
  }

  private async insert(tx: Prisma.TransactionClient, ownerId: string, command: SubmitTasksCommand) {
    const swarm = await this.swarms.findForOwner(ownerId, command.swarmId, tx);
    if (!swarm) throw new NotFound('swarm', command.swarmId);
    if (swarm.status === 'terminated') throw new Conflict(`swarm ${swarm.id} is terminated and takes no tasks`);
    const config = readStoredConfiguration(swarm.configuration);

    // Idempotency: keys seen before map to their task; a key repeated inside the batch maps to
    // its first occurrence.
    const keys = [...new Set(command.tasks.map((t) => t.idempotency_key).filter((k): k is string => k !== undefined))];
    const existingByKey = new Map<string, string>();
    for (const row of await this.tasks.findByIdempotencyKeys(tx, ownerId, keys)) {
      if (row.swarmId !== command.swarmId) {
        throw new Conflict(`idempotency_key "${row.idempotencyKey}" was already used for a task in another swarm`);
      }
      existingByKey.set(row.idempotencyKey!, row.id);
    }

    const refs = new Map<string, number>();
    command.tasks.forEach((t, index) => {
      if (t.ref === undefined) return;
      if (refs.has(t.ref)) throw new ValidationFailed(`tasks[${index}].ref "${t.ref}" is used twice in the batch`);
      refs.set(t.ref, index);
    });

    const idOf: string[] = [];
    const firstIndexOfKey = new Map<string, number>();
    const fresh: PlannedTask[] = [];
    command.tasks.forEach((spec, index) => {
      const key = spec.idempotency_key;
      if (key !== undefined && existingByKey.has(key)) return void idOf.push(existingByKey.get(key)!);
      if (key !== undefined && firstIndexOfKey.has(key)) return void idOf.push(idOf[firstIndexOfKey.get(key)!]);
      if (key !== undefined) firstIndexOfKey.set(key, index);
      const id = uuidv7();
      idOf.push(id);
      fresh.push({ index, id, spec, dependsOn: [], dependencyType: spec.dependency_type ?? 'success' });
    });

    // Dependencies: a ref names a task of this batch, anything else must be a task id.
    const external = new Set<string>();
    for (const task of fresh) {
      for (const dep of new Set(task.spec.depends_on ?? [])) {
        const refIndex = refs.get(dep);
        if (refIndex !== undefined) task.dependsOn.push(idOf[refIndex]);
        else if (UUID.test(dep)) {
          task.dependsOn.push(dep.toLowerCase());
          external.add(dep.toLowerCase());
        } else throw new ValidationFailed(`tasks[${task.index}].depends_on: "${dep}" is neither a task id nor a ref in this batch`);
      }
    }
    const cycle = findDependencyCycle(fresh.map((t) => ({ key: t.id, dependsOn: t.dependsOn })));
    if (cycle) {
      const label = (id: string) => {
        const t = fresh.find((f) => f.id === id);
        return t?.spec.ref ?? `tasks[${t?.index ?? '?'}]`;
      };
      throw new ValidationFailed(`dependency cycle: ${cycle.map(label).join(' -> ')}`, { cycle: cycle.map(label) });
    }
    const freshIds = new Set(fresh.map((t) => t.id));
    const lockIds = [...new Set([...external, ...fresh.flatMap((t) => t.dependsOn).filter((id) => !freshIds.has(id))])];
    const statuses = await this.tasks.lockPrerequisites(tx, ownerId, command.swarmId, lockIds);
    const unknown = lockIds.filter((id) => !statuses.has(id));
    if (unknown.length > 0) throw new ValidationFailed(`depends_on references tasks not found in this swarm: ${unknown.join(', ')}`);

    const now = new Date();
    const queued: Array<Parameters<TaskDispatchStore['enqueue']>[1][number]> = [];
    const rows: NewTaskRow[] = fresh.map((task) => {
      const state = evaluateDependencies(
        task.dependsOn.map((id) => ({
          prerequisiteId: id,
          prerequisiteStatus: freshIds.has(id) ? 'pending' : statuses.get(id)!,
          type: task.dependencyType,
        })),
      );
      const capabilities = normaliseCapabilities(task.spec.required_capabilities ?? []);
      const priority = task.spec.priority ?? TASK_PRIORITY.default;
      const row: NewTaskRow = {
        id: task.id,
        ownerId,
        swarmId: command.swarmId,
        taskType: task.spec.task_type,
        payload: task.spec.payload ?? null,
        priority,
        requiredCapabilities: capabilities,
        status: 'pending',
        maxAttempts: task.spec.max_attempts ?? config.max_task_attempts,
        timeoutMs: task.spec.timeout_ms ?? config.task_timeout_ms,
        idempotencyKey: task.spec.idempotency_key ?? null,
        waitReason: null,
        error: null,
        createdAt: now,
        queuedAt: null,
        completedAt: null,
      };
      if (state.state === 'ready') {
        queued.push({ taskId: task.id, taskType: row.taskType, priority, requiredCapabilities: capabilities, requirementClass: requirementClass(capabilities), queuedAt: now.getTime() });
        return { ...row, status: 'queued', queuedAt: now };
      }
      if (state.state === 'failed') return { ...row, status: 'failed', error: state.reason, completedAt: now };
      return { ...row, waitReason: state.reason };
    });
    const inserted = await this.tasks.insertMany(tx, rows);
    // A concurrent request may have inserted the same idempotency key first: take its task.
    const lost = fresh.filter((t) => !inserted.has(t.id));
    if (lost.length > 0) {
      const winners = await this.tasks.findByIdempotencyKeys(tx, ownerId, lost.map((t) => t.spec.idempotency_key!));
      const winnerByKey = new Map(winners.map((w) => [w.idempotencyKey!, w]));
      for (const t of lost) {
        const winner = winnerByKey.get(t.spec.idempotency_key!);
        if (!winner || winner.swarmId !== command.swarmId) {
          throw new Conflict(`idempotency_key "${t.spec.idempotency_key}" was used concurrently for a task in another swarm`);
        }
        idOf.forEach((id, i) => {
          if (id === t.id) idOf[i] = winner.id;
        });
      }
    }
    const lostIds = new Set(lost.map((t) => t.id));
    const dependencyRows = fresh.filter((t) => !lostIds.has(t.id)).flatMap((t) =>
      t.dependsOn.map((dependsOnTaskId) => ({ taskId: t.id, dependsOnTaskId: idOf[fresh.find((f) => f.id === dependsOnTaskId)?.index ?? -1] ?? dependsOnTaskId, type: t.dependencyType })),
    );
    await this.tasks.insertDependencies(tx, dependencyRows);
    return { ids: idOf, created: inserted.size, queued: queued.filter((q) => !lostIds.has(q.taskId)), insertedRows: rows.filter((r) => inserted.has(r.id)), dependencyRows };
  }
}

function checkPayloadSizes(tasks: SubmitTaskDto[]): void {
  tasks.forEach((task, index) => {
    if (task.payload === undefined) return;
    const size = Buffer.byteLength(JSON.stringify(task.payload));
    if (size > TASK_PAYLOAD_MAX_BYTES) {
      throw new ValidationFailed(`tasks[${index}].payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    }
  });
}

function asStoredTask(row: NewTaskRow, dependencies: Array<{ taskId: string; dependsOnTaskId: string; type: DependencyType }>): TaskWithDependencies {
  return {
    id: row.id,
    ownerId: row.ownerId,
    swarmId: row.swarmId,
    parentTaskId: null,
    taskType: row.taskType,
    payload: row.payload as Prisma.JsonValue,
    priority: row.priority,
    requiredCapabilities: row.requiredCapabilities,
    status: row.status,
    maxAttempts: row.maxAttempts,
    attemptCount: 0,
    timeoutMs: row.timeoutMs,
    idempotencyKey: row.idempotencyKey,
    assignedAgentId: null,
    fencingToken: null,
    availableAt: null,
    deadlineAt: null,
    progress: null,
    progressMessage: null,
    waitReason: row.waitReason,
    result: null,
    error: row.error,
    createdAt: row.createdAt,
    queuedAt: row.queuedAt,
    assignedAt: null,
    startedAt: null,
    completedAt: row.completedAt,
    updatedAt: row.createdAt,
    dependsOn: dependencies.filter((d) => d.taskId === row.id).map((d) => ({ dependsOnTaskId: d.dependsOnTaskId, type: d.type })),
  };
}

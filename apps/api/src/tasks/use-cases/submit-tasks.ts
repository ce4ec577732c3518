import { Injectable, Logger } from '@nestjs/common';
import type { SubmitTaskDto } from '@swarm/contracts';
import { Prisma, PrismaService, Sql, SubmissionOutcome, SubmittedTaskRow, TaskRepository, TaskWithDependencies } from '@swarm/db';
import {
  Conflict,
  DEFAULT_SWARM_CONFIGURATION,
  DependencyType,
  evaluateDependencies,
  findDependencyCycle,
  NotFound,
  normaliseCapabilities,
  requirementClass,
  TASK_PRIORITY,
  TaskStatus,
  ValidationFailed,
} from '@swarm/domain';
import { EnqueueEntry, TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { SubmitLeaderElectedTask } from './submit-leader-elected-task';
import { SubmitPipelineTask } from './submit-pipeline-task';
import { SubmitRedundantTask } from './submit-redundant-task';

/** A task's payload (and an agent's result) is kept in Postgres and sent over sockets: bounded. */
export const TASK_PAYLOAD_MAX_BYTES = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SubmitTasksCommand {
  actor: Actor;
  swarmId: string;
  tasks: SubmitTaskDto[];
}

/** A task this request plans to create; max attempts and timeout stay null until the swarm's settings are known. */
interface PlannedTask extends SubmittedTaskRow {
  readonly kind: 'created';
  swarmId: string;
  payload: unknown;
  createdAt: Date;
  /** As stored: a prerequisite of this batch that lost its key to a concurrent request is that request's task. */
  dependencies: ReadonlyArray<{ dependsOnTaskId: string; type: DependencyType }>;
}

/** A task this request created, answered from what was inserted rather than read back. */
export interface CreatedTask extends PlannedTask {
  maxAttempts: number;
  timeoutMs: number;
}

export type SubmittedTask = CreatedTask | TaskWithDependencies;

export interface SubmitTasksResult {
  /** In the order given; a repeated idempotency key gives the task that holds it. */
  tasks: SubmittedTask[];
  /** How many of them this request created (the others were idempotent repeats). */
  created: number;
}

interface FreshTask {
  index: number;
  spec: SubmitTaskDto;
  row: PlannedTask;
}

interface Plan {
  /** The task id of each position of the batch. */
  idOf: string[];
  fresh: FreshTask[];
  /** Prerequisites that are not new in this request: they must exist, and are locked. */
  lockIds: string[];
}

interface Insertion {
  /** New tasks not inserted: a concurrent request inserted their idempotency key first. */
  skipped: Set<string>;
  queued: EnqueueEntry[];
}

/**
 * Submits one task or a batch, atomically: every row, dependency and idempotency key in one
 * statement (one transaction when prerequisites outside the batch must be locked), then the
 * dispatchable ones are handed to Redis. A crash between the two leaves queued rows the
 * reconciler puts in Redis later; nothing is lost.
 */
@Injectable()
export class SubmitTasks {
  private readonly logger = new Logger(SubmitTasks.name);

  private readonly insertStage;
  private readonly enqueueStage;

  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
    private readonly tasks: TaskRepository,
    private readonly dispatch: TaskDispatchStore,
    private readonly metrics: Metrics,
    private readonly redundant: SubmitRedundantTask,
    private readonly pipeline: SubmitPipelineTask,
    private readonly leaderElected: SubmitLeaderElectedTask,
  ) {
    this.insertStage = metrics.taskSubmitStage.labels({ stage: 'insert' });
    this.enqueueStage = metrics.taskSubmitStage.labels({ stage: 'enqueue' });
  }

  async execute(command: SubmitTasksCommand): Promise<SubmitTasksResult> {
    const ownerId = command.actor.principal.ownerId;
    const { swarmId } = command;
    if (command.tasks.some((t) => t.pipeline === true)) {
      if (command.tasks.length > 1) throw new ValidationFailed('a pipeline task is submitted on its own, not in a batch');
      if (command.tasks[0].redundancy !== undefined) throw new ValidationFailed('a task is either a pipeline or redundant, not both');
      if (command.tasks[0].leader_election !== undefined) throw new ValidationFailed('a task is either a pipeline or leader-elected, not both');
      const { task, created } = await this.pipeline.execute(ownerId, swarmId, command.tasks[0]);
      return { tasks: [task], created: created ? 1 : 0 };
    }
    if (command.tasks.some((t) => t.leader_election !== undefined)) {
      const [spec] = command.tasks;
      if (command.tasks.length > 1) throw new ValidationFailed('a leader-elected task is submitted on its own, not in a batch');
      if (spec.redundancy !== undefined || spec.consensus !== undefined) throw new ValidationFailed('a task is either leader-elected or redundant, not both');
      if (spec.depends_on?.length) throw new ValidationFailed('depends_on cannot be combined with leader_election: let other tasks depend on the leader-elected one instead');
      if (spec.required_capabilities?.some((c) => c.startsWith('agent:'))) throw new ValidationFailed('a leader-elected task chooses its agents itself: leave agent: capabilities out');
      const { parentId, created } = await this.leaderElected.execute(ownerId, swarmId, {
        taskType: spec.task_type,
        payload: spec.payload ?? null,
        collaborators: spec.leader_election!,
        requiredCapabilities: spec.required_capabilities,
        priority: spec.priority,
        maxAttempts: spec.max_attempts,
        timeoutMs: spec.timeout_ms,
        idempotencyKey: spec.idempotency_key,
      });
      const [task] = await this.tasks.findManyByIds(this.prisma, ownerId, [parentId]);
      return { tasks: [task], created: created ? 1 : 0 };
    }
    const redundant = command.tasks.filter((t) => t.redundancy !== undefined || t.consensus !== undefined);
    if (redundant.length > 0) {
      if (redundant.some((t) => t.redundancy === undefined)) throw new ValidationFailed('consensus applies to redundant tasks only: give redundancy too');
      if (command.tasks.length > 1) throw new ValidationFailed('a redundant task is submitted on its own, not in a batch');
      const { task, created } = await this.redundant.execute(ownerId, swarmId, command.tasks[0]);
      return { tasks: [task], created: created ? 1 : 0 };
    }
    const payloads = serialisePayloads(command.tasks);
    const keys = distinctKeys(command.tasks);
    const now = new Date();
    let plan: Plan;
    if (keys.length > 0) {
      // Keys seen before decide which tasks are new: read them (and check the swarm) first.
      plan = planTasks(command, await this.checkSwarm(ownerId, swarmId, keys), payloads, now);
    } else {
      // The swarm is checked by the insert itself; its errors still come before the batch's own.
      try {
        plan = planTasks(command, new Map(), payloads, now);
      } catch (error) {
        await this.checkSwarm(ownerId, swarmId, []);
        throw error;
      }
      if (plan.lockIds.length > 0) await this.checkSwarm(ownerId, swarmId, []);
    }

    // One statement is atomic on its own. A transaction is needed to hold prerequisites locked
    // while dependants are inserted, or to undo a batch when one of its keys turns out to be
    // another swarm's task or must be redirected to a concurrent request's task.
    const keyed = plan.fresh.some((t) => t.row.idempotencyKey !== null);
    const insertion =
      plan.fresh.length === 0
        ? { skipped: new Set<string>(), queued: [] }
        : plan.lockIds.length === 0 && (plan.fresh.length === 1 || !keyed)
          ? await this.insertAlone(ownerId, swarmId, plan, now)
          : await this.prisma.$transaction((tx) => this.insertLocked(tx, ownerId, swarmId, plan, now), { timeout: 30_000 });

    if (insertion.queued.length > 0) {
      // queued_at is `now`: these two stages are the submission's share of assignment latency.
      const enqueueStarted = performance.now();
      this.insertStage.observe(Math.max(0, Date.now() - now.getTime()) / 1000);
      try {
        await this.dispatch.enqueue(swarmId, insertion.queued);
        this.enqueueStage.observe((performance.now() - enqueueStarted) / 1000);
      } catch (error) {
        // Stored and queued in Postgres: the reconciler will enqueue them; do not fail the request.
        this.logger.warn({ err: error, swarmId, tasks: insertion.queued.length }, 'could not enqueue tasks in Redis; the reconciler will');
      }
    }
    const created = plan.fresh.length - insertion.skipped.size;
    this.metrics.tasksSubmitted.inc(created);
    return { tasks: await this.answer(ownerId, plan, insertion.skipped), created };
  }

  /** The swarm must be the owner's and not terminated; returns the task ids holding `keys`. */
  private async checkSwarm(ownerId: string, swarmId: string, keys: string[]): Promise<Map<string, string>> {
    const target = await this.tasks.findSubmissionTarget(ownerId, swarmId, keys);
    if (!target) throw new NotFound('swarm', swarmId);
    if (target.status === 'terminated') throw terminated(target.id);
    const existingByKey = new Map<string, string>();
    for (const row of target.existing) {
      if (row.swarmId !== swarmId) throw new Conflict(`idempotency_key "${row.idempotencyKey}" was already used for a task in another swarm`);
      existingByKey.set(row.idempotencyKey, row.id);
    }
    return existingByKey;
  }

  /** No prerequisite outside the batch, and at most one key that a concurrent request can take. */
  private async insertAlone(ownerId: string, swarmId: string, plan: Plan, now: Date): Promise<Insertion> {
    settle(plan, new Map());
    // On the bare pg pool: the one statement of the common request, without Prisma's per-query work.
    const outcome = await this.tasks.insertSubmitted(this.sql.direct, ownerId, swarmId, now, plan.fresh.map((t) => t.row), true, SWARM_DEFAULTS);
    const skipped = inserting(plan, outcome, swarmId);
    await this.redirectLost(this.prisma, ownerId, swarmId, plan, skipped);
    dependencyRows(plan, skipped);
    return { skipped, queued: queuedEntries(plan, skipped) };
  }

  private async insertLocked(tx: Prisma.TransactionClient, ownerId: string, swarmId: string, plan: Plan, now: Date): Promise<Insertion> {
    const statuses = await this.tasks.lockPrerequisites(tx, ownerId, swarmId, plan.lockIds);
    const unknown = plan.lockIds.filter((id) => !statuses.has(id));
    if (unknown.length > 0) throw new ValidationFailed(`depends_on references tasks not found in this swarm: ${unknown.join(', ')}`);
    settle(plan, statuses);
    const outcome = await this.tasks.insertSubmitted(tx, ownerId, swarmId, now, plan.fresh.map((t) => t.row), false, SWARM_DEFAULTS);
    const skipped = inserting(plan, outcome, swarmId);
    await this.redirectLost(tx, ownerId, swarmId, plan, skipped);
    await this.tasks.insertDependencies(tx, dependencyRows(plan, skipped));
    return { skipped, queued: queuedEntries(plan, skipped) };
  }

  /** A concurrent request may have inserted the same idempotency key first: take its task. */
  private async redirectLost(db: PrismaService | Prisma.TransactionClient, ownerId: string, swarmId: string, plan: Plan, skipped: Set<string>): Promise<void> {
    if (skipped.size === 0) return;
    const lost = plan.fresh.filter((t) => skipped.has(t.row.id));
    const winners = await this.tasks.findByIdempotencyKeys(db, ownerId, lost.map((t) => t.spec.idempotency_key!));
    const winnerByKey = new Map(winners.map((w) => [w.idempotencyKey!, w]));
    for (const t of lost) {
      const winner = winnerByKey.get(t.spec.idempotency_key!);
      if (!winner || winner.swarmId !== swarmId) {
        throw new Conflict(`idempotency_key "${t.spec.idempotency_key}" was used concurrently for a task in another swarm`);
      }
      plan.idOf.forEach((id, i) => {
        if (id === t.row.id) plan.idOf[i] = winner.id;
      });
    }
  }

  /** New tasks as inserted; only idempotent repeats are read back. */
  private async answer(ownerId: string, plan: Plan, skipped: Set<string>): Promise<SubmittedTask[]> {
    // inserting() gave every inserted row its settings.
    if (plan.fresh.length === plan.idOf.length && skipped.size === 0) return plan.fresh.map((t) => t.row as CreatedTask);
    const byId = new Map<string, SubmittedTask>();
    for (const { row } of plan.fresh) if (!skipped.has(row.id)) byId.set(row.id, row as CreatedTask);
    const existing = new Set<string>();
    for (const id of plan.idOf) if (!byId.has(id)) existing.add(id);
    if (existing.size > 0) for (const row of await this.tasks.findManyByIds(this.prisma, ownerId, [...existing])) byId.set(row.id, row);
    return plan.idOf.map((id) => byId.get(id)!);
  }
}

/** Settings the swarm's stored configuration may predate. */
const SWARM_DEFAULTS = { maxAttempts: DEFAULT_SWARM_CONFIGURATION.max_task_attempts, timeoutMs: DEFAULT_SWARM_CONFIGURATION.task_timeout_ms };

/** Most tasks have no dependencies: they share this instead of an empty array each. */
const NONE: readonly never[] = Object.freeze([]);

const terminated = (swarmId: string) => new Conflict(`swarm ${swarmId} is terminated and takes no tasks`);

/** The new tasks insertSubmitted skipped; rows without their own settings take the swarm's. */
function inserting(plan: Plan, outcome: SubmissionOutcome | null, swarmId: string): Set<string> {
  if (!outcome) throw new NotFound('swarm', swarmId);
  if (outcome.swarmStatus === 'terminated') throw terminated(outcome.swarmId);
  for (const { row } of plan.fresh) {
    row.maxAttempts ??= outcome.maxAttempts;
    row.timeoutMs ??= outcome.timeoutMs;
  }
  return outcome.skipped;
}

/**
 * The dependency rows of the inserted tasks, also kept on each row for the answer. A
 * prerequisite of this batch that lost its key to a concurrent request is that request's task.
 */
function dependencyRows(plan: Plan, skipped: Set<string>): Array<{ taskId: string; dependsOnTaskId: string; type: DependencyType }> {
  const rows: Array<{ taskId: string; dependsOnTaskId: string; type: DependencyType }> = [];
  let freshIndexById: Map<string, number> | undefined;
  for (const { row } of plan.fresh) {
    if (row.dependsOn.length === 0 || skipped.has(row.id)) continue;
    freshIndexById ??= new Map(plan.fresh.map((t) => [t.row.id, t.index]));
    const dependencies: Array<{ dependsOnTaskId: string; type: DependencyType }> = [];
    for (const id of row.dependsOn) {
      const index = freshIndexById.get(id);
      const dependency = { dependsOnTaskId: index === undefined ? id : plan.idOf[index], type: row.dependencyType };
      dependencies.push(dependency);
      rows.push({ taskId: row.id, ...dependency });
    }
    row.dependencies = dependencies;
  }
  return rows;
}

/** Refs, ids, dependencies and their cycles, in the order the checks have always run. */
function planTasks(command: SubmitTasksCommand, existingByKey: Map<string, string>, payloads: string[], now: Date): Plan {
  const specs = command.tasks;
  const refs = new Map<string, number>();
  specs.forEach((t, index) => {
    if (t.ref === undefined) return;
    if (refs.has(t.ref)) throw new ValidationFailed(`tasks[${index}].ref "${t.ref}" is used twice in the batch`);
    refs.set(t.ref, index);
  });

  const idOf: string[] = [];
  const firstIndexOfKey = new Map<string, number>();
  const fresh: FreshTask[] = [];
  specs.forEach((spec, index) => {
    const key = spec.idempotency_key;
    if (key !== undefined && existingByKey.has(key)) return void idOf.push(existingByKey.get(key)!);
    if (key !== undefined && firstIndexOfKey.has(key)) return void idOf.push(idOf[firstIndexOfKey.get(key)!]);
    if (key !== undefined) firstIndexOfKey.set(key, index);
    const id = uuidv7();
    idOf.push(id);
    const capabilities = spec.required_capabilities === undefined || spec.required_capabilities.length === 0 ? [] : normaliseCapabilities(spec.required_capabilities);
    const row: PlannedTask = {
      kind: 'created',
      id,
      swarmId: command.swarmId,
      taskType: spec.task_type,
      payload: spec.payload ?? null,
      payloadJson: payloads[index],
      priority: spec.priority ?? TASK_PRIORITY.default,
      requiredCapabilities: capabilities,
      status: 'pending',
      maxAttempts: spec.max_attempts ?? null,
      timeoutMs: spec.timeout_ms ?? null,
      idempotencyKey: key ?? null,
      waitReason: null,
      error: null,
      createdAt: now,
      dependsOn: NONE,
      dependencyType: spec.dependency_type ?? 'success',
      dependencies: NONE,
    };
    fresh.push({ index, spec, row });
  });

  // Dependencies: a ref names a task of this batch, anything else must be a task id.
  const external = new Set<string>();
  for (const task of fresh) {
    if (task.spec.depends_on === undefined || task.spec.depends_on.length === 0) continue;
    const dependsOn: string[] = [];
    for (const dep of new Set(task.spec.depends_on)) {
      const refIndex = refs.get(dep);
      if (refIndex !== undefined) dependsOn.push(idOf[refIndex]);
      else if (UUID.test(dep)) {
        dependsOn.push(dep.toLowerCase());
        external.add(dep.toLowerCase());
      } else throw new ValidationFailed(`tasks[${task.index}].depends_on: "${dep}" is neither a task id nor a ref in this batch`);
    }
    task.row.dependsOn = dependsOn;
  }
  const withDependencies = fresh.filter((t) => t.row.dependsOn.length > 0);
  if (withDependencies.length === 0) return { idOf, fresh, lockIds: [] };

  const cycle = findDependencyCycle(fresh.map((t) => ({ key: t.row.id, dependsOn: [...t.row.dependsOn] })));
  if (cycle) {
    const byId = new Map(fresh.map((t) => [t.row.id, t]));
    const label = (id: string) => {
      const t = byId.get(id);
      return t?.spec.ref ?? `tasks[${t?.index ?? '?'}]`;
    };
    throw new ValidationFailed(`dependency cycle: ${cycle.map(label).join(' -> ')}`, { cycle: cycle.map(label) });
  }
  const freshIds = new Set(fresh.map((t) => t.row.id));
  const lockIds = [...new Set([...external, ...withDependencies.flatMap((t) => t.row.dependsOn).filter((id) => !freshIds.has(id))])];
  return { idOf, fresh, lockIds };
}

/** Each new task's state from its prerequisites: new ones of this batch are pending. */
function settle(plan: Plan, statuses: Map<string, TaskStatus>): void {
  if (plan.fresh.every((t) => t.row.dependsOn.length === 0)) {
    for (const { row } of plan.fresh) row.status = 'queued';
    return;
  }
  const freshIds = new Set(plan.fresh.map((t) => t.row.id));
  for (const { row } of plan.fresh) {
    const state = evaluateDependencies(
      row.dependsOn.map((id) => ({ prerequisiteId: id, prerequisiteStatus: freshIds.has(id) ? 'pending' : statuses.get(id)!, type: row.dependencyType })),
    );
    if (state.state === 'ready') row.status = 'queued';
    else if (state.state === 'failed') {
      row.status = 'failed';
      row.error = state.reason;
    } else row.waitReason = state.reason;
  }
}

function queuedEntries(plan: Plan, skipped: Set<string>): EnqueueEntry[] {
  const queued: EnqueueEntry[] = [];
  for (const { row } of plan.fresh) {
    if (row.status !== 'queued' || skipped.has(row.id)) continue;
    queued.push({
      taskId: row.id,
      taskType: row.taskType,
      priority: row.priority,
      requiredCapabilities: row.requiredCapabilities,
      requirementClass: requirementClass(row.requiredCapabilities),
      queuedAt: row.createdAt.getTime(),
    });
  }
  return queued;
}

function distinctKeys(tasks: SubmitTaskDto[]): string[] {
  const keys = new Set<string>();
  for (const task of tasks) if (task.idempotency_key !== undefined) keys.add(task.idempotency_key);
  return [...keys];
}

/** Each payload as the JSON that is stored, measured on the way; "null" when there is none. */
function serialisePayloads(tasks: SubmitTaskDto[]): string[] {
  const json: string[] = new Array<string>(tasks.length);
  for (let index = 0; index < tasks.length; index += 1) {
    const payload = tasks[index].payload;
    if (payload === undefined || payload === null) {
      json[index] = 'null';
      continue;
    }
    const text = JSON.stringify(payload);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only long texts need counting.
    if (text.length * 3 > TASK_PAYLOAD_MAX_BYTES) {
      const size = Buffer.byteLength(text);
      if (size > TASK_PAYLOAD_MAX_BYTES) throw new ValidationFailed(`tasks[${index}].payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    }
    json[index] = text;
  }
  return json;
}

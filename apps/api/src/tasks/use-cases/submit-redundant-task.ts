import { Injectable, Logger } from '@nestjs/common';
import type { SubmitTaskDto } from '@swarm/contracts';
import { Prisma, PrismaService, TaskRepository, TaskWithDependencies } from '@swarm/db';
import {
  agentCapability,
  chooseReplicaAgents,
  normaliseCapabilities,
  readStoredConfiguration,
  RedundancySpec,
  requirementClass,
  resolveRedundancy,
  TASK_PRIORITY,
  ValidationFailed,
} from '@swarm/domain';
import { EnqueueEntry, TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { v7 as uuidv7 } from 'uuid';
import { concurrentKeyWinner, lockSwarmForSubmission, taskNamedByKey } from './single-task-submission';
import { TASK_PAYLOAD_MAX_BYTES } from './submit-tasks';

/**
 * A task run on several distinct agents, its result decided by a vote over theirs. Stored as a
 * parent (never dispatched itself: it holds the settings and, later, the vote) and one replica
 * per agent, each pinned to its agent through that agent's own capability. The engine decides
 * the parent when replicas finish (TaskSettlement).
 */
@Injectable()
export class SubmitRedundantTask {
  private readonly logger = new Logger(SubmitRedundantTask.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly tasks: TaskRepository,
    private readonly dispatch: TaskDispatchStore,
    private readonly metrics: Metrics,
  ) {}

  async execute(ownerId: string, swarmId: string, spec: SubmitTaskDto): Promise<{ task: TaskWithDependencies; created: boolean }> {
    const settings = resolveRedundancy(spec.redundancy, spec.consensus);
    if (spec.depends_on?.length) {
      throw new ValidationFailed('depends_on cannot be combined with redundancy: let other tasks depend on the redundant one instead, or submit it once its prerequisites are done');
    }
    const payload = spec.payload ?? null;
    const size = Buffer.byteLength(JSON.stringify(payload));
    if (size > TASK_PAYLOAD_MAX_BYTES) throw new ValidationFailed(`payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    const required = normaliseCapabilities(spec.required_capabilities ?? []);
    if (required.some((c) => c.startsWith('agent:'))) throw new ValidationFailed('a redundant task chooses its agents itself: leave agent: capabilities out');

    let replicas: EnqueueEntry[] = [];
    let parentId: string;
    let created = true;
    try {
      parentId = await this.prisma.$transaction(async (tx) => {
        const swarm = await lockSwarmForSubmission(tx, ownerId, swarmId);
        const existing = await taskNamedByKey(this.tasks, tx, ownerId, swarmId, spec.idempotency_key);
        if (existing) {
          created = false;
          return existing;
        }
        const agents = chooseReplicaAgents(await this.candidates(tx, swarmId), required, settings.replicas);
        const config = readStoredConfiguration(swarm.configuration);
        const redundancy: RedundancySpec = { ...settings, agents };
        const now = new Date();
        const id = uuidv7();
        const common = {
          ownerId,
          swarmId,
          taskType: spec.task_type,
          payload: payload as Prisma.InputJsonValue,
          priority: spec.priority ?? TASK_PRIORITY.default,
          maxAttempts: spec.max_attempts ?? config.max_task_attempts,
          timeoutMs: spec.timeout_ms ?? config.task_timeout_ms,
        };
        // The parent is 'running' from the start: it is never dispatched, its replicas are.
        await tx.task.create({
          data: { ...common, id, requiredCapabilities: required, status: 'running', idempotencyKey: spec.idempotency_key ?? null, redundancy: redundancy as unknown as Prisma.InputJsonValue, queuedAt: now, startedAt: now, createdAt: now },
        });
        const rows = agents.map((agentId) => ({ ...common, id: uuidv7(), parentTaskId: id, requiredCapabilities: normaliseCapabilities([...required, agentCapability(agentId)]), status: 'queued' as const, queuedAt: now, createdAt: now }));
        await tx.task.createMany({ data: rows });
        replicas = rows.map((r) => ({ taskId: r.id, taskType: r.taskType, priority: r.priority, requiredCapabilities: r.requiredCapabilities, requirementClass: requirementClass(r.requiredCapabilities), queuedAt: now.getTime() }));
        return id;
      });
    } catch (error) {
      // The same key submitted concurrently: the other request's task is the answer.
      parentId = await concurrentKeyWinner(this.tasks, this.prisma, ownerId, swarmId, spec.idempotency_key, error);
      created = false;
      replicas = [];
    }

    if (replicas.length > 0) {
      try {
        await this.dispatch.enqueue(swarmId, replicas);
      } catch (error) {
        this.logger.warn({ err: error, swarmId, parentId }, 'could not enqueue replicas in Redis; the reconciler will');
      }
      this.metrics.tasksSubmitted.inc(1);
      this.logger.log({ swarmId, taskId: parentId, replicas: replicas.length }, 'redundant task submitted');
    }
    const [task] = await this.tasks.findManyByIds(this.prisma, ownerId, [parentId]);
    return { task, created };
  }

  /** Live members and how many attempts each holds now. */
  private candidates(tx: Prisma.TransactionClient, swarmId: string) {
    return tx.$queryRaw<Array<{ agentId: string; capabilities: string[]; load: number }>>`
      SELECT a.id AS "agentId", a.capabilities,
        (SELECT count(*)::int FROM tasks t WHERE t.assigned_agent_id = a.id AND t.status IN ('assigned', 'running')) AS load
      FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
      WHERE m.swarm_id = ${swarmId}::uuid AND m.status = 'active' AND a.status IN ('idle', 'busy') AND a.max_concurrency > 0`;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { Prisma, PrismaService, TaskRepository } from '@swarm/db';
import {
  agentCapability,
  chooseReplicaAgents,
  LEADER_ELECTION_COLLABORATORS,
  LeaderVerificationSpec,
  normaliseCapabilities,
  rankLeaderCandidates,
  readStoredConfiguration,
  requirementClass,
  TASK_PRIORITY,
  ValidationFailed,
} from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { v7 as uuidv7 } from 'uuid';
import { concurrentKeyWinner, lockSwarmForSubmission, taskNamedByKey } from './single-task-submission';
import { TASK_PAYLOAD_MAX_BYTES } from './submit-tasks';

export interface LeaderElectedTaskInput {
  taskType: string;
  payload: unknown;
  collaborators: number;
  requiredCapabilities?: string[];
  priority?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  idempotencyKey?: string;
}

export interface LeaderElectedTask {
  parentId: string;
  /** False: the idempotency key named an earlier task, returned as it is. */
  created: boolean;
}

/**
 * A task run by a leader elected among `collaborators` distinct live agents, its result then
 * checked by the others. Stored as a parent ('running', never dispatched itself) holding the
 * election and the verdicts, and one child for the leader's run, pinned to it; the engine
 * (LeaderVerificationFlow) adds the verifications once the leader's result is in.
 */
@Injectable()
export class SubmitLeaderElectedTask {
  private readonly logger = new Logger(SubmitLeaderElectedTask.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly tasks: TaskRepository,
    private readonly dispatch: TaskDispatchStore,
    private readonly metrics: Metrics,
  ) {}

  async execute(ownerId: string, swarmId: string, input: LeaderElectedTaskInput): Promise<LeaderElectedTask> {
    const { min, max } = LEADER_ELECTION_COLLABORATORS;
    if (!Number.isInteger(input.collaborators) || input.collaborators < min || input.collaborators > max) {
      throw new ValidationFailed(`leader-election needs from ${min} to ${max} collaborators: one leads, the others verify its result`);
    }
    const size = Buffer.byteLength(JSON.stringify(input.payload ?? null));
    if (size > TASK_PAYLOAD_MAX_BYTES) throw new ValidationFailed(`payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    const required = normaliseCapabilities(input.requiredCapabilities ?? []);

    let created: { parentId: string; leaderTaskId: string; spec: LeaderVerificationSpec; capabilities: string[]; queuedAt: Date } | { existing: string };
    try {
      created = await this.prisma.$transaction(async (tx) => {
        const swarm = await lockSwarmForSubmission(tx, ownerId, swarmId);
        const existing = await taskNamedByKey(this.tasks, tx, ownerId, swarmId, input.idempotencyKey);
        if (existing) return { existing };
        const members = await this.candidates(tx, swarmId, input.taskType);
        const chosen = new Set(chooseReplicaAgents(members, required, input.collaborators, `leader_election ${input.collaborators}`));
        const election = rankLeaderCandidates(members.filter((m) => chosen.has(m.agentId)));
        const ranked = election.ranking.map((r) => r.agent_id);
        const config = readStoredConfiguration(swarm.configuration);
        const now = new Date();
        const id = uuidv7();
        const leaderTaskId = uuidv7();
        const spec: LeaderVerificationSpec = {
          collaborators: ranked,
          leader: election.leader,
          leader_task_id: leaderTaskId,
          election,
          former_leaders: [],
          verifiers: ranked.slice(1).map((agent_id) => ({ agent_id, task_id: null, status: 'waiting', verdict: null, reason: null })),
        };
        const common = {
          ownerId,
          swarmId,
          taskType: input.taskType,
          payload: (input.payload ?? null) as Prisma.InputJsonValue,
          priority: input.priority ?? TASK_PRIORITY.default,
          maxAttempts: input.maxAttempts ?? config.max_task_attempts,
          timeoutMs: input.timeoutMs ?? config.task_timeout_ms,
          createdAt: now,
          queuedAt: now,
        };
        await tx.task.create({
          data: { ...common, id, requiredCapabilities: required, status: 'running', startedAt: now, idempotencyKey: input.idempotencyKey ?? null, verification: spec as unknown as Prisma.InputJsonValue },
      });
      const capabilities = normaliseCapabilities([...required, agentCapability(election.leader)]);
      await tx.task.create({ data: { ...common, id: leaderTaskId, parentTaskId: id, requiredCapabilities: capabilities, status: 'queued' } });
      return { parentId: id, leaderTaskId, spec, capabilities, queuedAt: now };
      });
    } catch (error) {
      // The same key submitted concurrently: the other request's task is the answer.
      created = { existing: await concurrentKeyWinner(this.tasks, this.prisma, ownerId, swarmId, input.idempotencyKey, error) };
    }
    if ('existing' in created) return { parentId: created.existing, created: false };

    try {
      await this.dispatch.enqueue(swarmId, [
        {
          taskId: created.leaderTaskId,
          taskType: input.taskType,
          priority: input.priority ?? TASK_PRIORITY.default,
          requiredCapabilities: created.capabilities,
          requirementClass: requirementClass(created.capabilities),
          queuedAt: created.queuedAt.getTime(),
        },
      ]);
    } catch (error) {
      this.logger.warn({ err: error, swarmId, taskId: created.parentId }, "could not enqueue the leader's run in Redis; the reconciler will");
    }
    this.metrics.tasksSubmitted.inc(1);
    this.logger.log({ swarmId, taskId: created.parentId, leader: created.spec.leader, reason: created.spec.election.reason }, 'leader elected for a task');
    return { parentId: created.parentId, created: true };
  }

  /** Live members with their load and measured success rate on this task type. */
  private candidates(tx: Prisma.TransactionClient, swarmId: string, taskType: string) {
    return tx.$queryRaw<Array<{ agentId: string; capabilities: string[]; load: number; successRate: number | null }>>`
      SELECT a.id AS "agentId", a.capabilities,
        (SELECT count(*)::int FROM tasks t WHERE t.assigned_agent_id = a.id AND t.status IN ('assigned', 'running')) AS load,
        (SELECT s.success_rate_ewma FROM agent_task_stats s WHERE s.agent_id = a.id AND s.task_type = ${taskType}) AS "successRate"
      FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
      WHERE m.swarm_id = ${swarmId}::uuid AND m.status = 'active' AND a.status IN ('idle', 'busy') AND a.max_concurrency > 0`;
  }
}

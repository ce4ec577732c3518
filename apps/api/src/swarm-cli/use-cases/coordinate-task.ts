import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@swarm/db';
import { Conflict, NotFound, ValidationFailed } from '@swarm/domain';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { SubmitLeaderElectedTask } from '../../tasks/use-cases/submit-leader-elected-task';
import { SubmitTasks } from '../../tasks/use-cases/submit-tasks';
import { CoordinateTaskDto } from '../swarm-cli.dto';

export type RunStrategy = 'consensus' | 'distributed' | 'leader-election';
export type SwarmCoordination = Prisma.SwarmCoordinationGetPayload<object>;

export const COORDINATION_TASK_TYPE = 'swarm.coordinate';
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** A redundant task runs on at least two agents (one result cannot be voted on); a leader needs someone to verify it. */
const MIN_COLLABORATORS: Partial<Record<RunStrategy, number>> = { consensus: 2, 'leader-election': 2 };

export interface CoordinationRequest {
  task: unknown;
  strategy: RunStrategy;
  /** Undefined: every live member (the older form may leave it out). */
  collaborators?: number;
  timeoutSeconds: number;
  swarmId?: string;
}

/** Reads both body shapes into one request. */
export function readCoordinationRequest(body: CoordinateTaskDto): CoordinationRequest {
  const parameters = body.parameters ?? {};
  const task = body.task !== undefined ? body.task : body.task_id !== undefined ? { task_id: body.task_id, parameters } : undefined;
  if (task === undefined || task === null || task === '') throw new ValidationFailed('task is required (or task_id with parameters)');
  const strategy = body.strategy ?? 'map-reduce';
  const collaborators = body.collaborators ?? integerParameter(parameters, 'collaborators', 1, 10);
  const timeoutSeconds = body.timeout_seconds ?? integerParameter(parameters, 'timeout_seconds', 1, 86400) ?? DEFAULT_TIMEOUT_SECONDS;
  return { task, strategy: strategy === 'consensus' || strategy === 'leader-election' ? strategy : 'distributed', collaborators, timeoutSeconds, swarmId: body.swarm_id };
}

function integerParameter(parameters: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = parameters[key];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new ValidationFailed(`parameters.${key} must be an integer from ${min} to ${max}`);
  return value as number;
}

/**
 * Runs one task over several members of a swarm of the caller's. consensus: a redundant task
 * on `collaborators` distinct live agents, voted by the engine; distributed: `collaborators`
 * parts submitted together and spread by the swarm's algorithm; leader-election: a leader
 * elected among `collaborators` live agents runs it, the others verify its result. Recorded as a coordination
 * whose state is read back from those tasks.
 */
@Injectable()
export class CoordinateTask {
  constructor(
    private readonly prisma: PrismaService,
    private readonly submit: SubmitTasks,
    private readonly leaderElected: SubmitLeaderElectedTask,
  ) {}

  async execute(actor: Actor, request: CoordinationRequest): Promise<SwarmCoordination> {
    const ownerId = actor.principal.ownerId;
    const swarm = await this.chooseSwarm(ownerId, request.swarmId);
    const collaborators = request.collaborators ?? Math.min(Math.max(swarm.live, 1), 10);
    const least = MIN_COLLABORATORS[request.strategy];
    if (least !== undefined && collaborators < least) {
      const why = request.strategy === 'consensus' ? 'to vote' : 'one to lead, the others to verify its result';
      throw new ValidationFailed(`strategy ${request.strategy} needs at least ${least} collaborators: ${why}`);
    }
    if (swarm.live < collaborators) {
      throw new Conflict(`${plural(collaborators, 'collaborator')} needed but swarm ${swarm.id} has ${plural(swarm.live, 'live member')}: connect more agents or ask for fewer`, {
        needed: collaborators,
        available: swarm.live,
      });
    }
    const id = uuidv7();
    const base = { coordination_id: id, task: request.task };
    let taskIds: string[];
    let parentTaskId: string | null = null;
    if (request.strategy === 'consensus') {
      const { tasks } = await this.submit.execute({
        actor,
        swarmId: swarm.id,
        tasks: [{ task_type: COORDINATION_TASK_TYPE, payload: base, redundancy: collaborators, consensus: { algorithm: 'majority' } }],
      });
      parentTaskId = tasks[0].id;
      const replicas = await this.prisma.task.findMany({ where: { ownerId, parentTaskId }, orderBy: { id: 'asc' }, select: { id: true } });
      taskIds = replicas.map((r) => r.id);
    } else if (request.strategy === 'leader-election') {
      const elected = await this.leaderElected.execute(ownerId, swarm.id, { taskType: COORDINATION_TASK_TYPE, payload: base, collaborators, timeoutMs: request.timeoutSeconds * 1000 });
      parentTaskId = elected.parentId;
      // The leader's run and the verifications are read back from the parent's children.
      taskIds = [];
    } else {
      const { tasks } = await this.submit.execute({
        actor,
        swarmId: swarm.id,
        tasks: Array.from({ length: collaborators }, (_, i) => ({ task_type: COORDINATION_TASK_TYPE, payload: { ...base, part: i + 1, parts: collaborators } })),
      });
      taskIds = tasks.map((t) => t.id);
    }
    return this.prisma.swarmCoordination.create({
      data: {
        id,
        ownerId,
        swarmId: swarm.id,
        strategy: request.strategy,
        collaborators,
        task: request.task as Prisma.InputJsonValue,
        taskIds,
        parentTaskId,
        timeoutAt: new Date(Date.now() + request.timeoutSeconds * 1000),
      },
    });
  }

  /** The swarm named, else the caller's non-terminated swarm with the most live members (oldest first on a tie). */
  private async chooseSwarm(ownerId: string, swarmId: string | undefined): Promise<{ id: string; live: number }> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string; status: string; live: number }>>`
      SELECT s.id, s.status::text AS status,
        (SELECT count(*)::int FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
          WHERE m.swarm_id = s.id AND m.status = 'active' AND a.status IN ('idle', 'busy')) AS live
      FROM swarms s
      WHERE s.owner_id = ${ownerId}::uuid
        AND (${swarmId ?? null}::uuid IS NULL AND s.status <> 'terminated' OR s.id = ${swarmId ?? null}::uuid)
      ORDER BY live DESC, s.created_at ASC, s.id ASC
      LIMIT 1`;
    if (rows.length === 0) {
      if (swarmId) throw new NotFound('swarm', swarmId);
      throw new Conflict('you have no swarm to coordinate in: join one first with POST /swarm/join');
    }
    if (rows[0].status === 'terminated') throw new Conflict(`swarm ${rows[0].id} is terminated and takes no tasks`);
    return rows[0];
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

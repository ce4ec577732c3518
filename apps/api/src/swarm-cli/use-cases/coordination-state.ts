import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { decideRedundantResults, LeaderVerificationSpec, NotFound, TaskStatus, ValidationFailed } from '@swarm/domain';
import { SwarmCoordination } from './coordinate-task';

export type CoordinationStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface CoordinatedTask {
  part: number;
  task_id: string;
  agent_id: string | null;
  status: TaskStatus;
  result: unknown;
  error: string | null;
  /** leader-election only: who ran it and, for a verifier, what it found. */
  role?: 'leader' | 'former_leader' | 'verifier';
  verdict?: 'approved' | 'rejected' | null;
}

export interface CoordinationState {
  coordination: SwarmCoordination;
  status: CoordinationStatus;
  reason: string | null;
  /** Percent of the tasks that are final. */
  progress: number;
  activeCollaborators: number;
  tasks: CoordinatedTask[];
}

const FINAL: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'timed_out'];
export const DEFAULT_CONSENSUS_THRESHOLD = 0.7;

export interface ConsensusAnswer {
  task_id: string;
  consensus_reached: boolean;
  result: unknown;
  confidence_score: number;
  votes: Array<{ result: unknown; member_ids: string[]; weight: number }>;
  participating_members: string[];
  algorithm: string;
  threshold: number | null;
  reason?: string;
}

/** A coordination as its tasks are now; a deadline passed without completion reads as failed. */
@Injectable()
export class CoordinationStates {
  constructor(private readonly prisma: PrismaService) {}

  async load(ownerId: string, coordinationId: string): Promise<CoordinationState> {
    const coordination = await this.prisma.swarmCoordination.findFirst({ where: { id: coordinationId, ownerId } });
    if (!coordination) throw new NotFound('task', coordinationId);
    return this.stateOf(coordination);
  }

  async stateOf(coordination: SwarmCoordination): Promise<CoordinationState> {
    if (coordination.strategy === 'leader-election') return this.leaderElectedState(coordination);
    const ids = [...coordination.taskIds, ...(coordination.parentTaskId ? [coordination.parentTaskId] : [])];
    const rows = await this.prisma.task.findMany({
      where: { ownerId: coordination.ownerId, id: { in: ids } },
      select: { id: true, status: true, result: true, error: true, assignedAgentId: true },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const tasks = coordination.taskIds.flatMap((taskId, i): CoordinatedTask[] => {
      const row = byId.get(taskId);
      return row ? [{ part: i + 1, task_id: taskId, agent_id: row.assignedAgentId, status: row.status, result: row.result ?? null, error: row.error }] : [];
    });
    const final = tasks.filter((t) => FINAL.includes(t.status)).length;
    const parent = coordination.parentTaskId ? byId.get(coordination.parentTaskId) : undefined;
    return this.assemble(coordination, parent ? fromParent(parent.status, parent.error) : fromParts(tasks), tasks, tasks.length === 0 ? 0 : final / tasks.length);
  }

  /**
   * The leader's run (and any earlier leader's) and the verifications, from the parent's plan.
   * Progress counts the leader's run and one verification per verifier still in the plan.
   */
  private async leaderElectedState(coordination: SwarmCoordination): Promise<CoordinationState> {
    if (!coordination.parentTaskId) throw new NotFound('task', coordination.id);
    const parent = await this.prisma.task.findFirst({
      where: { ownerId: coordination.ownerId, id: coordination.parentTaskId },
      select: { status: true, error: true, verification: true, children: { select: { id: true, status: true, result: true, error: true, assignedAgentId: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
    });
    if (!parent) throw new NotFound('task', coordination.id);
    const spec = parent.verification as unknown as LeaderVerificationSpec;
    const former = new Set(spec.former_leaders.map((f) => f.task_id));
    const verifierOf = new Map(spec.verifiers.filter((v) => v.task_id).map((v) => [v.task_id!, v]));
    const tasks = parent.children.map((c, i): CoordinatedTask => {
      const verifier = verifierOf.get(c.id);
      const role = c.id === spec.leader_task_id ? 'leader' : verifier ? 'verifier' : former.has(c.id) ? 'former_leader' : 'verifier';
      return {
        part: i + 1,
        task_id: c.id,
        agent_id: c.assignedAgentId ?? (role === 'leader' ? spec.leader : (verifier?.agent_id ?? null)),
        status: c.status,
        result: c.result ?? null,
        error: c.error,
        role,
        ...(role === 'verifier' ? { verdict: verifier?.verdict ?? null } : {}),
      };
    });
    const leader = tasks.find((t) => t.role === 'leader');
    const done = (leader && FINAL.includes(leader.status) ? 1 : 0) + tasks.filter((t) => t.role === 'verifier' && FINAL.includes(t.status)).length;
    const progress = FINAL.includes(parent.status) ? 1 : done / (1 + spec.verifiers.length);
    return this.assemble(coordination, fromParent(parent.status, parent.error), tasks, progress);
  }

  private assemble(coordination: SwarmCoordination, outcome: { status: CoordinationStatus; reason: string | null }, tasks: CoordinatedTask[], share: number): CoordinationState {
    let { status, reason } = outcome;
    if (status === 'running' && pastTimeout(coordination)) {
      status = 'failed';
      reason = `timed out after ${Math.round((coordination.timeoutAt.getTime() - coordination.createdAt.getTime()) / 1000)} seconds without completing`;
    }
    const active = new Set(tasks.filter((t) => (t.status === 'assigned' || t.status === 'running') && t.agent_id).map((t) => t.agent_id));
    return { coordination, status, reason, progress: Math.round(share * 100), activeCollaborators: active.size, tasks };
  }

  /**
   * Votes the collaborators' completed results, one vote per task. While tasks are still out
   * (and the timeout has not passed) the answer says how many.
   */
  async consensus(ownerId: string, coordinationId: string, algorithm: 'majority' | 'super_majority' | 'unanimous', threshold?: number): Promise<ConsensusAnswer> {
    if (algorithm === 'super_majority' && threshold !== undefined && !(threshold > 0.5 && threshold <= 1)) {
      throw new ValidationFailed('consensus_threshold must be above 0.5 and at most 1');
    }
    const state = await this.load(ownerId, coordinationId);
    const answer = (fields: Partial<ConsensusAnswer>): ConsensusAnswer => ({
      task_id: coordinationId,
      consensus_reached: false,
      result: null,
      confidence_score: 0,
      votes: [],
      participating_members: [],
      algorithm,
      threshold: algorithm === 'super_majority' ? (threshold ?? null) : null,
      ...fields,
    });
    const outstanding = state.tasks.filter((t) => !FINAL.includes(t.status)).length;
    // Past its timeout the results that are in are all there will be: they are voted.
    if (outstanding > 0 && state.status === 'running') {
      return answer({ reason: `waiting for results: ${outstanding} of ${state.tasks.length} collaborator tasks are not finished` });
    }
    if (state.status === 'running') return answer({ reason: 'waiting for results: the verifications of the leader’s result are not made yet' });
    const completed = votesOf(state.tasks.filter((t) => t.status === 'completed' && t.role !== 'former_leader'));
    if (completed.length === 0) return answer({ reason: 'no collaborator completed its task: there are no results to vote on' });
    // Each task is one vote (a member running two parts of a distributed task votes twice);
    // tasks that failed are votes not cast.
    const memberOf = new Map(state.tasks.map((t) => [t.task_id, t.agent_id]));
    const membersOf = (taskIds: string[]) => [...new Set(taskIds.map((id) => memberOf.get(id)).filter((id): id is string => !!id))];
    const decision = decideRedundantResults(
      completed.map((t) => ({ agentId: t.task_id, result: t.result })),
      { match: { kind: 'exact' }, algorithm, threshold, assignedAgents: state.tasks.map((t) => t.task_id), deadlinePassed: true },
    );
    return answer({
      consensus_reached: decision.reached,
      result: decision.reached ? decision.result : null,
      confidence_score: decision.confidence,
      votes: decision.groups.map((g) => ({ result: g.result, member_ids: membersOf(g.agentIds), weight: g.weight })),
      participating_members: membersOf(completed.map((t) => t.task_id)),
      ...(decision.reached ? {} : { reason: decision.reason?.replace(/_/g, ' ') ?? 'not reached' }),
    });
  }

  /** How many of the swarm's coordinations are in each status, in one query. */
  async countBySwarm(ownerId: string, swarmId: string): Promise<Record<CoordinationStatus, number> & { total: number }> {
    const rows = await this.prisma.$queryRaw<Array<{ timeout_at: Date; parent_status: TaskStatus | null; statuses: TaskStatus[] }>>`
      SELECT c.timeout_at, p.status::text AS parent_status,
        coalesce(array_agg(t.status::text) FILTER (WHERE t.id IS NOT NULL), '{}') AS statuses
      FROM swarm_coordinations c
      LEFT JOIN tasks p ON p.id = c.parent_task_id
      LEFT JOIN tasks t ON t.id = ANY(c.task_ids)
      WHERE c.owner_id = ${ownerId}::uuid AND c.swarm_id = ${swarmId}::uuid
      GROUP BY c.id, p.status`;
    const counts = { total: rows.length, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of rows) {
      let { status } = row.parent_status ? fromParent(row.parent_status, null) : fromParts(row.statuses.map((s, i) => ({ part: i + 1, status: s, error: null })));
      if (status === 'running' && pastTimeout({ timeoutAt: row.timeout_at })) status = 'failed';
      counts[status]++;
    }
    return counts;
  }
}

/**
 * leader-election: a verifier that approved votes for the leader's result, one that rejected
 * for what it reported instead; other strategies: each task for its own result.
 */
function votesOf(completed: CoordinatedTask[]): CoordinatedTask[] {
  const leader = completed.find((t) => t.role === 'leader');
  return completed.map((t) => (t.role === 'verifier' && t.verdict === 'approved' && leader ? { ...t, result: leader.result } : t));
}

function pastTimeout(coordination: { timeoutAt: Date }): boolean {
  return Date.now() > coordination.timeoutAt.getTime();
}

function fromParent(status: TaskStatus, error: string | null): { status: CoordinationStatus; reason: string | null } {
  if (status === 'completed') return { status: 'completed', reason: null };
  if (status === 'failed' || status === 'timed_out') return { status: 'failed', reason: error ?? status.replace('_', ' ') };
  if (status === 'cancelled') return { status: 'cancelled', reason: error };
  return { status: 'running', reason: null };
}

function fromParts(tasks: Array<Pick<CoordinatedTask, 'part' | 'status' | 'error'>>): { status: CoordinationStatus; reason: string | null } {
  const failed = tasks.filter((t) => t.status === 'failed' || t.status === 'timed_out');
  if (failed.length > 0) return { status: 'failed', reason: `part ${failed[0].part} failed: ${failed[0].error ?? failed[0].status}` };
  if (tasks.length > 0 && tasks.every((t) => t.status === 'completed')) return { status: 'completed', reason: null };
  if (tasks.length > 0 && tasks.every((t) => FINAL.includes(t.status))) return { status: 'cancelled', reason: 'some parts were cancelled' };
  return { status: 'running', reason: null };
}

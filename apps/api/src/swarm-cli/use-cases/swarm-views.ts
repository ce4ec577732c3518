import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { NotFound, SwarmStatus } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { MemberRemoval, RemoveSwarmAgent } from '../../agents/use-cases/remove-swarm-agent';
import { KeyedBatches } from '../../common/keyed-batches';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { presentPerformanceSummary } from '../../metrics/metrics.presenter';
import { CoordinationStates } from './coordination-state';

const ACTIVE_TASK_STATUSES = ['pending', 'queued', 'assigned', 'running'] as const;
/** Performance is measured over this window of the swarm's tasks. */
const PERFORMANCE_WINDOW = '24h';
/** At most this many members leave in one transaction. */
const LEAVE_BATCH_MAX = 200;

export interface SwarmMemberView {
  member_id: string;
  name: string;
  /** The role given at join; else the topology role in the swarm. */
  role: string;
  capability: string | null;
  status: string;
  priority: number;
  joined_at: Date;
}

export interface SwarmListing {
  swarm_id: string;
  name: string;
  status: string;
  topology: string;
  created_at: Date;
  member_count: number;
  members: SwarmMemberView[];
}

/** The caller's swarms as the /swarm endpoints show them, and leaving them. */
@Injectable()
export class SwarmViews {
  /**
   * Leaves of one swarm, a whole swarm's members or many single leaves at once, would each hold
   * its row lock for a whole removal in turn; batched, they share one transaction and one
   * topology pass. Keyed by owner and swarm.
   */
  private readonly removals: KeyedBatches<MemberRemoval, void>;

  constructor(
    private readonly prisma: PrismaService,
    removeAgent: RemoveSwarmAgent,
    private readonly coordinations: CoordinationStates,
    private readonly metrics: GetSwarmMetrics,
  ) {
    this.removals = new KeyedBatches((key, removals) => {
      const [ownerId, swarmId] = key.split(':');
      return removeAgent.executeMany(ownerId, swarmId, removals);
    }, LEAVE_BATCH_MAX);
  }

  /** Newest first, with their active members in the order they joined. */
  async list(ownerId: string, filters: { limit: number; swarmId?: string; status?: SwarmStatus }): Promise<SwarmListing[]> {
    const swarms = await this.prisma.swarm.findMany({
      where: { ownerId, id: filters.swarmId, status: filters.status },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filters.limit,
      include: {
        memberships: {
          where: { status: 'active' },
          orderBy: [{ joinedAt: 'asc' }, { agentId: 'asc' }],
          include: { agent: { select: { name: true, status: true, capabilities: true, metadata: true } } },
        },
      },
    });
    return swarms.map((s) => ({
      swarm_id: s.id,
      name: s.name,
      status: s.status,
      topology: s.topology,
      created_at: s.createdAt,
      member_count: s.memberships.length,
      members: s.memberships.map((m) => ({
        member_id: m.agentId,
        name: m.agent.name,
        role: cliRoleOf(m.agent.metadata) ?? m.role,
        capability: m.agent.capabilities[0] ?? null,
        status: m.agent.status,
        priority: m.priority,
        joined_at: m.joinedAt,
      })),
    }));
  }

  /** Summaries of the caller's swarms that are not terminated (or the one asked for, whatever its state). */
  async status(ownerId: string, swarmId?: string) {
    const swarms = await this.prisma.swarm.findMany({
      where: swarmId ? { ownerId, id: swarmId } : { ownerId, status: { not: 'terminated' } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: {
        id: true,
        name: true,
        status: true,
        _count: { select: { memberships: { where: { status: 'active' } }, coordinations: { where: { ownerId } } } },
      },
    });
    if (swarmId && swarms.length === 0) throw new NotFound('swarm', swarmId);
    const ids = swarms.map((s) => s.id);
    // Most swarms never ran a coordination: only those that did need their coordinations classified.
    const coordinated = swarms.filter((s) => s._count.coordinations > 0).map((s) => s.id);
    // Each figure is read for all the swarms in one statement, not once per swarm.
    const [activeTasks, metrics, coordinations] = await Promise.all([
      ids.length === 0
        ? []
        : this.prisma.task.groupBy({ by: ['swarmId'], where: { ownerId, swarmId: { in: ids }, status: { in: [...ACTIVE_TASK_STATUSES] } }, _count: { _all: true } }),
      this.metrics.forSwarms(ownerId, ids, PERFORMANCE_WINDOW),
      Promise.all(coordinated.map(async (id) => [id, await this.coordinations.countBySwarm(ownerId, id)] as const)),
    ]);
    const activeBySwarm = new Map(activeTasks.map((r) => [r.swarmId, r._count._all]));
    const coordinationsBySwarm = new Map(coordinations);
    return swarms.map((s) => {
      const coordinations = coordinationsBySwarm.get(s.id) ?? { total: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
      const activeTasks = activeBySwarm.get(s.id) ?? 0;
      const m = metrics.get(s.id);
      // Deleted since it was listed: absent, as its metrics alone would read.
      if (!m) throw new NotFound('swarm', s.id);
      return {
        swarm_id: s.id,
        name: s.name,
        status: s.status,
        member_count: s._count.memberships,
        active_tasks: activeTasks,
        // What the swarm's coordinations are doing: coordinating while one runs.
        coordination_status: s.status === 'terminated' ? 'terminated' : coordinations.running > 0 ? 'coordinating' : 'idle',
        coordinations,
        performance_metrics: presentPerformanceSummary(m),
      };
    });
  }

  /**
   * The caller's active members of the swarm leave it (all, or the one named), through the
   * ordinary removal: an agent left in no swarm is stopped and its unfinished work goes back to
   * the queue as for any lost agent.
   */
  async leave(actor: Actor, swarmId: string, memberId?: string): Promise<{ swarm_id: string; left: string[] }> {
    const ownerId = actor.principal.ownerId;
    const swarm = await this.prisma.swarm.findFirst({ where: { id: swarmId, ownerId }, select: { id: true } });
    if (!swarm) throw new NotFound('swarm', swarmId);
    const members = await this.prisma.swarmMembership.findMany({
      where: { swarmId, status: 'active', ...(memberId ? { agentId: memberId } : {}) },
      orderBy: [{ joinedAt: 'asc' }, { agentId: 'asc' }],
      select: { agentId: true },
    });
    if (memberId && members.length === 0) throw new NotFound('member', `${memberId} in swarm ${swarmId}`);
    const key = `${ownerId}:${swarmId}`;
    await Promise.all(members.map((m) => this.removals.submit(key, { actor, agentId: m.agentId })));
    return { swarm_id: swarmId, left: members.map((m) => m.agentId) };
  }
}

function cliRoleOf(metadata: unknown): string | undefined {
  const role = (metadata as { cli_role?: unknown } | null)?.cli_role;
  return typeof role === 'string' ? role : undefined;
}

import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { NotFound, SwarmStatus } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { RemoveSwarmAgent } from '../../agents/use-cases/remove-swarm-agent';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { CoordinationStates } from './coordination-state';

const ACTIVE_TASK_STATUSES = ['pending', 'queued', 'assigned', 'running'] as const;
/** Performance is measured over this window of the swarm's tasks. */
const PERFORMANCE_WINDOW = '24h';

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
  constructor(
    private readonly prisma: PrismaService,
    private readonly removeAgent: RemoveSwarmAgent,
    private readonly coordinations: CoordinationStates,
    private readonly metrics: GetSwarmMetrics,
  ) {}

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
      select: { id: true, name: true, status: true, _count: { select: { memberships: { where: { status: 'active' } } } } },
    });
    if (swarmId && swarms.length === 0) throw new NotFound('swarm', swarmId);
    return Promise.all(
      swarms.map(async (s) => {
        const [activeTasks, coordinations, m] = await Promise.all([
          this.prisma.task.count({ where: { ownerId, swarmId: s.id, status: { in: [...ACTIVE_TASK_STATUSES] } } }),
          this.coordinations.countBySwarm(ownerId, s.id),
          this.metrics.execute(ownerId, s.id, PERFORMANCE_WINDOW),
        ]);
        const ended = m.tasks_completed + m.tasks_failed;
        return {
          swarm_id: s.id,
          name: s.name,
          status: s.status,
          member_count: s._count.memberships,
          active_tasks: activeTasks,
          // What the swarm's coordinations are doing: coordinating while one runs.
          coordination_status: s.status === 'terminated' ? 'terminated' : coordinations.running > 0 ? 'coordinating' : 'idle',
          coordinations,
          performance_metrics: {
            window: m.window,
            tasks_completed: m.tasks_completed,
            tasks_failed: m.tasks_failed,
            throughput_per_sec: m.throughput_per_sec,
            success_rate: ended === 0 ? null : m.tasks_completed / ended,
            latency_p50_ms: { queue_wait: m.latency_ms.queue_wait.p50, execution: m.latency_ms.execution.p50, end_to_end: m.latency_ms.end_to_end.p50 },
            agent_utilization: m.agent_utilization,
            error_rate: m.error_rate,
          },
        };
      }),
    );
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
    for (const m of members) await this.removeAgent.execute(actor, swarmId, m.agentId);
    return { swarm_id: swarmId, left: members.map((m) => m.agentId) };
  }
}

function cliRoleOf(metadata: unknown): string | undefined {
  const role = (metadata as { cli_role?: unknown } | null)?.cli_role;
  return typeof role === 'string' ? role : undefined;
}

import { Injectable } from '@nestjs/common';
import type { SwarmHealthView } from '@swarm/contracts';
import { PrismaService, SwarmRepository } from '@swarm/db';
import { AgentStatus, deriveSwarmHealth, NotFound, readStoredConfiguration } from '@swarm/domain';
import { AgentLiveState } from '@swarm/messaging';

/** Per-agent liveness from Redis joined with membership from Postgres, and the swarm's status with reasons. */
@Injectable()
export class GetSwarmHealth {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly live: AgentLiveState,
  ) {}

  async execute(ownerId: string, swarmId: string): Promise<SwarmHealthView> {
    const swarm = await this.swarms.findForOwner(ownerId, swarmId);
    if (!swarm) throw new NotFound('swarm', swarmId);
    const members = await this.prisma.swarmMembership.findMany({
      where: { swarmId, status: 'active' },
      include: { agent: true },
      orderBy: { joinedAt: 'asc' },
    });
    const liveById = await this.live.read(members.map((m) => m.agentId));
    const now = Date.now();
    const config = readStoredConfiguration(swarm.configuration);
    const health = deriveSwarmHealth({
      status: swarm.status,
      minAgents: config.min_agents,
      memberStatuses: members.map((m) => m.agent.status as AgentStatus),
      hasLeader: swarm.leaderAgentId !== null,
    });
    const counts: Record<string, number> = {};
    for (const m of members) counts[m.agent.status] = (counts[m.agent.status] ?? 0) + 1;
    return {
      swarm_id: swarm.id,
      status: swarm.status,
      reasons: health.reasons,
      leader_agent_id: swarm.leaderAgentId,
      healthy_agents: health.healthyAgents,
      min_agents: config.min_agents,
      counts_by_status: counts,
      agents: members.map((m) => {
        const live = liveById.get(m.agentId);
        return {
          agent_id: m.agentId,
          name: m.agent.name,
          status: m.agent.status,
          role: m.role,
          is_leader: swarm.leaderAgentId === m.agentId,
          connected: live?.connected ?? false,
          heartbeat_age_ms: live?.lastSeenAt ? Math.max(0, now - live.lastSeenAt) : null,
          cpu_percent: live?.cpuPercent ?? null,
          memory_mb: live?.memoryMb ?? null,
          queue_depth: live?.queueDepth ?? null,
          current_task_id: live?.currentTaskId ?? null,
        };
      }),
    };
  }
}

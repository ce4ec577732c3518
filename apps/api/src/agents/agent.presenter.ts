import type { AgentView, MembershipView, SwarmAgentView } from '@swarm/contracts';
import type { Agent, MemberAgent } from '@swarm/db';

export function presentAgent(agent: Agent): AgentView {
  return {
    id: agent.id,
    name: agent.name,
    agent_type: agent.agentType,
    capabilities: agent.capabilities,
    status: agent.status,
    max_concurrency: agent.maxConcurrency,
    metadata: (agent.metadata ?? {}) as Record<string, unknown>,
    last_heartbeat_at: agent.lastHeartbeatAt?.toISOString() ?? null,
    status_changed_at: agent.statusChangedAt.toISOString(),
    created_at: agent.createdAt.toISOString(),
  };
}

export function presentMember(member: MemberAgent, leaderAgentId: string | null): SwarmAgentView {
  const membership: MembershipView = {
    swarm_id: member.swarmId,
    role: member.role,
    priority: member.priority,
    status: member.status,
    is_leader: leaderAgentId === member.agentId,
    joined_at: member.joinedAt.toISOString(),
    left_at: member.leftAt?.toISOString() ?? null,
  };
  return { ...presentAgent(member.agent), membership };
}

import type { SwarmView } from '@swarm/contracts';
import type { SwarmWithCounts } from '@swarm/db';
import { readStoredConfiguration } from '@swarm/domain';

export function presentSwarm(swarm: SwarmWithCounts): SwarmView {
  return {
    id: swarm.id,
    name: swarm.name,
    description: swarm.description,
    topology: swarm.topology,
    status: swarm.status,
    configuration: readStoredConfiguration(swarm.configuration),
    agent_count: swarm._count.memberships,
    leader_agent_id: swarm.leaderAgentId,
    topology_template_id: swarm.topologyTemplateId,
    created_at: swarm.createdAt.toISOString(),
    updated_at: swarm.updatedAt.toISOString(),
    terminated_at: swarm.terminatedAt?.toISOString() ?? null,
  };
}

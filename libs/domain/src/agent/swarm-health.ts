import { SwarmStatus } from '../swarm/swarm.types';
import { AgentStatus, isLive } from './agent.types';

export interface SwarmHealthInput {
  status: SwarmStatus;
  minAgents: number;
  memberStatuses: AgentStatus[];
  hasLeader: boolean;
}

export interface SwarmHealth {
  status: SwarmStatus;
  healthyAgents: number;
  /** Human-readable reasons for the status, for GET /swarms/:id/health. */
  reasons: string[];
}

/**
 * inactive: no members; degraded: fewer healthy agents than min_agents, or no leader;
 * active otherwise. A terminated swarm stays terminated.
 */
export function deriveSwarmHealth(input: SwarmHealthInput): SwarmHealth {
  const healthyAgents = input.memberStatuses.filter(isLive).length;
  if (input.status === 'terminated') return { status: 'terminated', healthyAgents, reasons: ['the swarm is terminated'] };
  if (input.memberStatuses.length === 0) return { status: 'inactive', healthyAgents, reasons: ['no agents are members'] };
  const reasons: string[] = [];
  if (healthyAgents < input.minAgents) reasons.push(`${healthyAgents} healthy agent(s), fewer than min_agents ${input.minAgents}`);
  if (!input.hasLeader) reasons.push('no leader');
  return reasons.length > 0
    ? { status: 'degraded', healthyAgents, reasons }
    : { status: 'active', healthyAgents, reasons: [`${healthyAgents} healthy agent(s), leader present`] };
}

import { AgentStatus } from '../agent/agent.types';
import { TopologyMember } from './topology.types';

/** Members a1..aN joined in that order; a1 has the highest priority so it wins the election. */
export function members(count: number, overrides: Record<string, Partial<TopologyMember>> = {}): TopologyMember[] {
  return Array.from({ length: count }, (_, i) => {
    const agentId = `a${i + 1}`;
    return {
      agentId,
      status: 'idle' as AgentStatus,
      priority: i === 0 ? 10 : 1,
      cpuPercent: 10,
      joinedAt: 1_000 + i,
      ...overrides[agentId],
    };
  });
}

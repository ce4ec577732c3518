import { AgentStatus } from './agent.types';

export interface LeaderCandidate {
  agentId: string;
  status: AgentStatus;
  priority: number;
  cpuPercent: number | null;
  joinedAt: number;
}

/** Idle beats busy beats starting: the healthiest agent has the most headroom. */
const HEALTH_RANK: Partial<Record<AgentStatus, number>> = { idle: 0, busy: 1, starting: 2 };

/**
 * Deterministic: healthiest status, then highest priority, then lowest CPU, then longest
 * membership, then id. Every worker copy elects the same agent from the same facts.
 */
export function electLeader(candidates: LeaderCandidate[]): string | null {
  const eligible = candidates.filter((c) => HEALTH_RANK[c.status] !== undefined);
  if (eligible.length === 0) return null;
  const sorted = [...eligible].sort(
    (a, b) =>
      HEALTH_RANK[a.status]! - HEALTH_RANK[b.status]! ||
      b.priority - a.priority ||
      (a.cpuPercent ?? Infinity) - (b.cpuPercent ?? Infinity) ||
      a.joinedAt - b.joinedAt ||
      a.agentId.localeCompare(b.agentId),
  );
  return sorted[0].agentId;
}

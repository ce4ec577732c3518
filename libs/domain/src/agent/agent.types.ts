export const AGENT_STATUSES = ['pending', 'starting', 'idle', 'busy', 'unhealthy', 'stopped'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_ROLES = ['coordinator', 'supervisor', 'worker'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** Statuses of an agent that is up and answering. */
export const LIVE_AGENT_STATUSES: readonly AgentStatus[] = ['starting', 'idle', 'busy'];

export function isLive(status: AgentStatus): boolean {
  return LIVE_AGENT_STATUSES.includes(status);
}

export const AgentEventType = {
  Registered: 'agent_registered',
  Joined: 'agent_joined',
  Connected: 'agent_connected',
  Failed: 'agent_failed',
  Recovered: 'agent_recovered',
  Left: 'agent_left',
  LeaderElection: 'leader_election',
  SwarmStatusChanged: 'swarm_status_changed',
} as const;
export type AgentEventType = (typeof AgentEventType)[keyof typeof AgentEventType];

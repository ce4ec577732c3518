import { AgentStatus, isLive } from './agent.types';

/** What the health monitor knows about one agent in one swarm at one instant. */
export interface AgentHealthInput {
  now: number;
  status: AgentStatus;
  /** Last heartbeat (or registration) in ms since the epoch; null if it never spoke. */
  lastSeenAt: number | null;
  /** When the agent was marked unhealthy; null while it is not. */
  unhealthySince: number | null;
  connected: boolean;
  heartbeatTimeoutMs: number;
  failoverGraceMs: number;
}

export type AgentHealthDecision =
  | { action: 'none' }
  | { action: 'mark_unhealthy'; reason: 'heartbeat_timeout' | 'disconnected' }
  | { action: 'recover' }
  | { action: 'activate' }
  | { action: 'remove'; reason: 'grace_expired' };

/**
 * The health rule, in one pure function:
 * - a live agent that is disconnected, or silent for longer than the heartbeat timeout, is unhealthy;
 * - an unhealthy agent that is connected and has beaten since it was marked recovers;
 * - an unhealthy agent that stays so past the failover grace is removed;
 * - a pending or stopped agent that is connected and beating becomes live (activate).
 */
export function decideAgentHealth(input: AgentHealthInput): AgentHealthDecision {
  const silentFor = input.lastSeenAt === null ? Infinity : input.now - input.lastSeenAt;

  if (isLive(input.status)) {
    if (!input.connected) return { action: 'mark_unhealthy', reason: 'disconnected' };
    if (silentFor > input.heartbeatTimeoutMs) return { action: 'mark_unhealthy', reason: 'heartbeat_timeout' };
    return { action: 'none' };
  }

  if (input.status === 'unhealthy') {
    const since = input.unhealthySince ?? input.now;
    const beatSinceMarked = input.lastSeenAt !== null && input.lastSeenAt > since;
    if (input.connected && beatSinceMarked && silentFor <= input.heartbeatTimeoutMs) return { action: 'recover' };
    if (input.now - since > input.failoverGraceMs) return { action: 'remove', reason: 'grace_expired' };
    return { action: 'none' };
  }

  if (input.connected && silentFor <= input.heartbeatTimeoutMs) return { action: 'activate' };
  return { action: 'none' };
}

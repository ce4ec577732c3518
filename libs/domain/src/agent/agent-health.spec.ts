import { AgentHealthInput, decideAgentHealth } from './agent-health';
import { electLeader } from './leader-election';
import { deriveSwarmHealth } from './swarm-health';

const NOW = 1_000_000;
const base: AgentHealthInput = {
  now: NOW,
  status: 'idle',
  lastSeenAt: NOW - 1_000,
  unhealthySince: null,
  connected: true,
  heartbeatTimeoutMs: 15_000,
  failoverGraceMs: 30_000,
};

describe('decideAgentHealth', () => {
  it('leaves a live agent that beat recently alone', () => {
    expect(decideAgentHealth(base)).toEqual({ action: 'none' });
    expect(decideAgentHealth({ ...base, lastSeenAt: NOW - 15_000 })).toEqual({ action: 'none' });
  });

  it('marks a silent agent unhealthy just after the timeout', () => {
    expect(decideAgentHealth({ ...base, lastSeenAt: NOW - 15_001 })).toEqual({ action: 'mark_unhealthy', reason: 'heartbeat_timeout' });
    expect(decideAgentHealth({ ...base, status: 'busy', lastSeenAt: null })).toEqual({ action: 'mark_unhealthy', reason: 'heartbeat_timeout' });
  });

  it('marks a disconnected agent unhealthy at once', () => {
    expect(decideAgentHealth({ ...base, connected: false })).toEqual({ action: 'mark_unhealthy', reason: 'disconnected' });
  });

  it('recovers an unhealthy agent that is connected and has beaten since', () => {
    const unhealthy = { ...base, status: 'unhealthy' as const, unhealthySince: NOW - 5_000 };
    expect(decideAgentHealth({ ...unhealthy, lastSeenAt: NOW - 100 })).toEqual({ action: 'recover' });
    expect(decideAgentHealth({ ...unhealthy, lastSeenAt: NOW - 6_000 })).toEqual({ action: 'none' });
    expect(decideAgentHealth({ ...unhealthy, lastSeenAt: NOW - 100, connected: false })).toEqual({ action: 'none' });
  });

  it('removes an agent unhealthy past the grace period', () => {
    const unhealthy = { ...base, status: 'unhealthy' as const, lastSeenAt: NOW - 40_000 };
    expect(decideAgentHealth({ ...unhealthy, unhealthySince: NOW - 30_000 })).toEqual({ action: 'none' });
    expect(decideAgentHealth({ ...unhealthy, unhealthySince: NOW - 30_001 })).toEqual({ action: 'remove', reason: 'grace_expired' });
  });

  it('ignores agents that are not connected and not live', () => {
    expect(decideAgentHealth({ ...base, status: 'pending', lastSeenAt: null, connected: false })).toEqual({ action: 'none' });
    expect(decideAgentHealth({ ...base, status: 'stopped', connected: false })).toEqual({ action: 'none' });
  });

  it('activates a pending or stopped agent once it is connected and heard from', () => {
    expect(decideAgentHealth({ ...base, status: 'pending' })).toEqual({ action: 'activate' });
    expect(decideAgentHealth({ ...base, status: 'stopped' })).toEqual({ action: 'activate' });
    expect(decideAgentHealth({ ...base, status: 'pending', lastSeenAt: NOW - 20_000 })).toEqual({ action: 'none' });
  });
});

describe('electLeader', () => {
  const candidate = (agentId: string, extra: object = {}) => ({ agentId, status: 'idle' as const, priority: 0, cpuPercent: 10, joinedAt: 1, ...extra });

  it('prefers the healthiest, then priority, then lowest CPU, then seniority, then id', () => {
    expect(electLeader([candidate('b', { status: 'busy', priority: 9 }), candidate('a')])).toBe('a');
    expect(electLeader([candidate('a'), candidate('b', { priority: 2 })])).toBe('b');
    expect(electLeader([candidate('a', { cpuPercent: 50 }), candidate('b', { cpuPercent: 5 })])).toBe('b');
    expect(electLeader([candidate('a', { joinedAt: 5 }), candidate('b', { joinedAt: 2 })])).toBe('b');
    expect(electLeader([candidate('b'), candidate('a')])).toBe('a');
  });

  it('never elects an unhealthy, pending or stopped agent', () => {
    expect(electLeader([candidate('a', { status: 'unhealthy' }), candidate('b', { status: 'pending' }), candidate('c', { status: 'stopped' })])).toBeNull();
    expect(electLeader([])).toBeNull();
  });

  it('is independent of input order', () => {
    const list = [candidate('x', { priority: 1 }), candidate('y', { priority: 1 }), candidate('z', { status: 'busy', priority: 5 })];
    expect(electLeader(list)).toBe(electLeader([...list].reverse()));
  });
});

describe('deriveSwarmHealth', () => {
  it('is inactive without members', () => {
    expect(deriveSwarmHealth({ status: 'active', minAgents: 1, memberStatuses: [], hasLeader: false }).status).toBe('inactive');
  });

  it('is degraded below min_agents or without a leader, saying why', () => {
    const few = deriveSwarmHealth({ status: 'active', minAgents: 2, memberStatuses: ['idle', 'unhealthy'], hasLeader: true });
    expect(few).toEqual({ status: 'degraded', healthyAgents: 1, reasons: ['1 healthy agent(s), fewer than min_agents 2'] });
    expect(deriveSwarmHealth({ status: 'active', minAgents: 1, memberStatuses: ['idle'], hasLeader: false }).reasons).toEqual(['no leader']);
  });

  it('is active with enough healthy agents and a leader', () => {
    expect(deriveSwarmHealth({ status: 'inactive', minAgents: 2, memberStatuses: ['idle', 'busy'], hasLeader: true }).status).toBe('active');
  });

  it('keeps a terminated swarm terminated', () => {
    expect(deriveSwarmHealth({ status: 'terminated', minAgents: 0, memberStatuses: ['idle'], hasLeader: true }).status).toBe('terminated');
  });
});

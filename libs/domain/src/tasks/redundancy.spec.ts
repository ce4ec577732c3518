import { Conflict, ValidationFailed } from '../errors/domain-error';
import { agentCapability, chooseReplicaAgents, decideReplicas, pinnedAgentOf, RedundancySpec, ReplicaState, resolveRedundancy } from './redundancy';

const spec = (overrides: Partial<RedundancySpec> = {}): RedundancySpec => ({ replicas: 3, algorithm: 'majority', matchField: null, agents: ['a', 'b', 'c'], ...overrides });
const replica = (agentId: string, status: ReplicaState['status'], result: unknown = null): ReplicaState => ({ taskId: `t-${agentId}`, agentId, status, result, error: status === 'failed' ? 'boom' : null });

describe('resolveRedundancy', () => {
  it('defaults to a majority over whole results', () => {
    expect(resolveRedundancy(3, undefined)).toEqual({ replicas: 3, algorithm: 'majority', matchField: null });
  });

  it('takes an algorithm, a threshold and a matched field', () => {
    expect(resolveRedundancy(4, { algorithm: 'super_majority', threshold: 0.75, match_field: 'output.label' })).toEqual({
      replicas: 4,
      algorithm: 'super_majority',
      threshold: 0.75,
      matchField: 'output.label',
    });
  });

  it.each([
    [1, undefined, /redundancy must be an integer between 2 and 10/],
    [11, undefined, /between 2 and 10/],
    [2.5, undefined, /integer/],
    [3, { algorithm: 'delegated' }, /consensus.algorithm must be one of majority, super_majority, unanimous, weighted/],
    [3, { threshold: 0.8 }, /threshold applies to the super_majority algorithm only/],
    [3, { algorithm: 'super_majority', threshold: 0.5 }, /above 0.5 and at most 1/],
    [3, { match_field: 'a..b' }, /dotted path/],
    [3, { quorum: 1 }, /consensus.quorum is not a consensus setting/],
    [3, [1], /consensus must be an object/],
  ])('refuses redundancy %p with consensus %p', (replicas, consensus, message) => {
    expect(() => resolveRedundancy(replicas, consensus)).toThrow(ValidationFailed);
    expect(() => resolveRedundancy(replicas, consensus)).toThrow(message);
  });
});

describe('chooseReplicaAgents', () => {
  const candidates = [
    { agentId: 'c', capabilities: ['gpu'], load: 0 },
    { agentId: 'a', capabilities: ['gpu'], load: 2 },
    { agentId: 'b', capabilities: [], load: 0 },
    { agentId: 'd', capabilities: ['gpu'], load: 0 },
  ];

  it('takes distinct capable agents, least loaded first, ties by id', () => {
    expect(chooseReplicaAgents(candidates, ['gpu'], 2)).toEqual(['c', 'd']);
    expect(chooseReplicaAgents(candidates, [], 3)).toEqual(['b', 'c', 'd']);
  });

  it('says how many agents were needed and how many there are', () => {
    expect(() => chooseReplicaAgents(candidates, ['gpu'], 4)).toThrow(Conflict);
    expect(() => chooseReplicaAgents(candidates, ['gpu'], 4)).toThrow('redundancy 4 needs 4 distinct live agents with capabilities [gpu]; the swarm has 3');
  });
});

describe('pinning', () => {
  it('round-trips an agent capability', () => {
    expect(pinnedAgentOf(['gpu', agentCapability('x-1')])).toBe('x-1');
    expect(pinnedAgentOf(['gpu'])).toBeNull();
  });
});

describe('decideReplicas', () => {
  it('waits while the outstanding replicas could still change the outcome', () => {
    expect(decideReplicas(spec(), [replica('a', 'completed', 1), replica('b', 'running'), replica('c', 'queued')])).toEqual({ state: 'pending' });
  });

  it('decides early once two of three agree, and records every result', () => {
    const decision = decideReplicas(spec(), [replica('a', 'completed', { v: 1 }), replica('b', 'completed', { v: 1 }), replica('c', 'running')]);
    expect(decision.state).toBe('completed');
    if (decision.state !== 'completed') return;
    expect(decision.result).toEqual({ v: 1 });
    expect(decision.record).toMatchObject({ status: 'decided', algorithm: 'majority', match: 'exact', groups: [{ agent_ids: ['a', 'b'] }] });
    expect(decision.record.replicas.map((r) => r.status)).toEqual(['completed', 'completed', 'running']);
    expect(decision.record.confidence).toBeCloseTo(1);
  });

  it('matches on a named field: different other fields still agree', () => {
    const decision = decideReplicas(spec({ matchField: 'label' }), [
      replica('a', 'completed', { label: 'cat', took: 3 }),
      replica('b', 'completed', { label: 'cat', took: 9 }),
      replica('c', 'completed', { label: 'dog', took: 1 }),
    ]);
    expect(decision).toMatchObject({ state: 'completed', result: { label: 'cat', took: 3 }, record: { match: { field: 'label' } } });
  });

  it('fails with the reason once every replica is final without agreement', () => {
    const decision = decideReplicas(spec(), [replica('a', 'completed', 1), replica('b', 'completed', 2), replica('c', 'failed')]);
    expect(decision).toMatchObject({ state: 'failed', record: { status: 'not_reached', reason: 'tie' } });
    if (decision.state === 'failed') expect(decision.error).toBe('the 3 replicas did not agree (tie; 2 results, 1 replicas without one)');
  });

  it('unanimous: one dissenting result fails it', () => {
    const decision = decideReplicas(spec({ algorithm: 'unanimous' }), [replica('a', 'completed', 1), replica('b', 'completed', 1), replica('c', 'completed', 2)]);
    expect(decision).toMatchObject({ state: 'failed', record: { reason: 'not_unanimous' } });
  });

  it('weighted: measured success rates outweigh a head count', () => {
    const decision = decideReplicas(spec({ algorithm: 'weighted' }), [replica('a', 'completed', 'x'), replica('b', 'completed', 'y'), replica('c', 'completed', 'y')], { a: 1, b: 0.1, c: 0.1 });
    expect(decision).toMatchObject({ state: 'completed', result: 'x' });
  });
});

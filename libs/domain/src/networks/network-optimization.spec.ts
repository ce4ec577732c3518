import { NetworkMeasurements, recommendNetworkChanges } from './network-optimization';

/** Three agents, evenly loaded, healthy, fast: nothing to recommend. */
const healthy = (overrides: Partial<NetworkMeasurements> = {}): NetworkMeasurements => ({
  memberIds: ['a', 'b', 'c'],
  distributionAlgorithm: 'round_robin',
  topology: 'mesh',
  attempts: ['a', 'b', 'c'].map((agentId) => ({ agentId, attempts: 10, finished: 10, failed: 0 })),
  successRates: ['a', 'b', 'c'].map((agentId) => ({ agentId, rate: 1, outcomes: 10 })),
  queueWait: { p50: 2, count: 30 },
  execution: { p50: 20 },
  endToEnd: { p50: 25, count: 30 },
  ...overrides,
});

describe('recommendNetworkChanges', () => {
  it('finds nothing in a balanced, healthy, fast network', () => {
    expect(recommendNetworkChanges(healthy(), 'speed')).toEqual([]);
  });

  it('recommends least_loaded when the busiest agent takes 1.5× the mean, with the counts', () => {
    const [r] = recommendNetworkChanges(healthy({ attempts: [{ agentId: 'a', attempts: 30, finished: 30, failed: 0 }, { agentId: 'b', attempts: 5, finished: 5, failed: 0 }, { agentId: 'c', attempts: 5, finished: 5, failed: 0 }] }), 'efficiency');
    expect(r).toMatchObject({ rank: 1, kind: 'switch_distribution', change: { distribution_algorithm: 'least_loaded' } });
    expect(r.evidence).toMatchObject({ attempts_per_agent: { a: 30, b: 5, c: 5 }, max_attempts: 30, max_to_mean: 2.25 });
    // Already least_loaded, or too few attempts to say: nothing.
    expect(recommendNetworkChanges(healthy({ distributionAlgorithm: 'least_loaded', attempts: [{ agentId: 'a', attempts: 30, finished: 30, failed: 0 }] }), 'speed')).toEqual([]);
    expect(recommendNetworkChanges(healthy({ attempts: [{ agentId: 'a', attempts: 8, finished: 8, failed: 0 }] }), 'speed')).toEqual([]);
  });

  it('counts a member without attempts as idle in the imbalance', () => {
    const [r] = recommendNetworkChanges(healthy({ attempts: [{ agentId: 'a', attempts: 10, finished: 10, failed: 0 }, { agentId: 'b', attempts: 10, finished: 10, failed: 0 }] }), 'cost');
    expect(r.evidence.attempts_per_agent).toEqual({ a: 10, b: 10, c: 0 });
  });

  it('recommends replacing an agent whose success rate is low, or whose attempts here fail', () => {
    const byRate = recommendNetworkChanges(healthy({ successRates: [{ agentId: 'b', rate: 0.4, outcomes: 12 }] }), 'quality');
    expect(byRate).toEqual([expect.objectContaining({ kind: 'replace_agent', change: null, evidence: expect.objectContaining({ agent_id: 'b', success_rate_ewma: 0.4 }) })]);
    const byShare = recommendNetworkChanges(healthy({ attempts: [{ agentId: 'a', attempts: 10, finished: 10, failed: 5 }, { agentId: 'b', attempts: 10, finished: 10, failed: 0 }, { agentId: 'c', attempts: 10, finished: 10, failed: 0 }] }), 'quality');
    expect(byShare).toEqual([expect.objectContaining({ kind: 'replace_agent', evidence: expect.objectContaining({ agent_id: 'a', failed_share: 0.5, failed_attempts: 5 }) })]);
  });

  it('ignores failure figures resting on too few outcomes', () => {
    expect(recommendNetworkChanges(healthy({ successRates: [{ agentId: 'b', rate: 0, outcomes: 2 }] }), 'quality')).toEqual([]);
    expect(recommendNetworkChanges(healthy({ attempts: ['a', 'b', 'c'].map((agentId) => ({ agentId, attempts: 3, finished: 3, failed: agentId === 'a' ? 3 : 0 })) }), 'quality')).toEqual([]);
  });

  it('recommends more agents when tasks wait longer than they run, sized by the ratio', () => {
    const [r] = recommendNetworkChanges(healthy({ queueWait: { p50: 60, count: 30 }, endToEnd: { p50: 80, count: 30 } }), 'speed');
    expect(r).toMatchObject({ kind: 'add_agents', change: null, evidence: { queue_wait_p50_ms: 60, execution_p50_ms: 20, suggested_additional_agents: 6 } });
    expect(recommendNetworkChanges(healthy({ queueWait: { p50: 60, count: 3 } }), 'speed')).toEqual([]);
  });

  it('recommends a star for a ring or tree whose hops cost more than the work', () => {
    const ring = recommendNetworkChanges(healthy({ topology: 'ring', endToEnd: { p50: 200, count: 30 } }), 'speed');
    expect(ring).toEqual([expect.objectContaining({ kind: 'switch_topology', change: { topology: 'star' }, evidence: expect.objectContaining({ topology: 'ring', end_to_end_p50_ms: 200 }) })]);
    expect(recommendNetworkChanges(healthy({ topology: 'mesh', endToEnd: { p50: 200, count: 30 } }), 'speed')).toEqual([]);
    expect(recommendNetworkChanges(healthy({ topology: 'hierarchical', endToEnd: { p50: 40, count: 30 } }), 'speed')).toEqual([]);
  });

  it('ranks by the objective: quality puts replacing a failing agent first, speed adding agents', () => {
    const measured = healthy({ successRates: [{ agentId: 'b', rate: 0.5, outcomes: 20 }], queueWait: { p50: 40, count: 30 } });
    expect(recommendNetworkChanges(measured, 'quality').map((r) => r.kind)).toEqual(['replace_agent', 'add_agents']);
    expect(recommendNetworkChanges(measured, 'speed').map((r) => r.kind)).toEqual(['add_agents', 'replace_agent']);
    expect(recommendNetworkChanges(measured, 'speed').map((r) => r.rank)).toEqual([1, 2]);
  });
});

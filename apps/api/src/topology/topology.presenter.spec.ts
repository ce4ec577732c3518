import { buildTopologyLayout, TopologyMember } from '@swarm/domain';
import { presentTopology } from './topology.presenter';

const team = (count: number): TopologyMember[] =>
  Array.from({ length: count }, (_, i) => ({ agentId: `a${String(i).padStart(4, '0')}`, status: 'idle', priority: 0, cpuPercent: null, joinedAt: i }));

describe('presentTopology', () => {
  it('lists every link of a small mesh', () => {
    const view = presentTopology('s', { layout: buildTopologyLayout(team(5), { topology: 'mesh' }), pinned: new Set(['a0001']) });
    expect(view.edges).toHaveLength(10);
    expect(view.edges_omitted).toBeUndefined();
    expect(view.nodes.find((n) => n.agent_id === 'a0001')).toMatchObject({ role_pinned: true, parent_id: null });
  });

  it('keeps the nodes of a large mesh but says why its links are not listed', () => {
    const view = presentTopology('s', { layout: buildTopologyLayout(team(1_000), { topology: 'mesh' }), pinned: new Set() });
    expect(view.nodes).toHaveLength(1_000);
    expect(view.edges).toEqual([]);
    expect(view.edges_omitted).toBe('a mesh of 1000 live members links every pair: 499500 edges are not listed');
  });
});

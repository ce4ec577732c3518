import { SWARM_TOPOLOGIES } from '../swarm/swarm.types';
import { buildTopologyLayout } from './topology-layout';
import { repairTopologyLayout } from './topology-repair';
import { emptyLayout, restoreLayout, snapshotLayout } from './topology-snapshot';
import { members } from './topology.fixtures';

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('topology snapshots', () => {
  it.each(SWARM_TOPOLOGIES)('%s: a restored layout equals the one snapshotted, after a repair too', (topology) => {
    const team = members(9, { a4: { pinnedRole: 'supervisor' } });
    const first = buildTopologyLayout(team, { topology, maxChildrenPerParent: 2 });
    // A lost supervisor moves a leaf into its slot: the order is no longer join order.
    const damaged = team.map((m) => (m.agentId === 'a2' ? { ...m, status: 'unhealthy' as const } : m));
    const { layout } = repairTopologyLayout(first, damaged, { topology, maxChildrenPerParent: 2 });
    const restored = restoreLayout(plain(snapshotLayout(layout, damaged)));
    expect(plain(restored)).toEqual(plain(layout));
    expect(repairTopologyLayout(restored, damaged, { topology, maxChildrenPerParent: 2 }).diff.changed).toBe(false);
  });

  it('an empty layout keeps a known leader, and everyone shows up as added', () => {
    const team = members(3, { a3: { priority: 50 } });
    const { layout, diff } = repairTopologyLayout(emptyLayout('star', 3, 'a2'), team);
    expect(layout.leaderId).toBe('a2');
    expect(diff.added).toEqual(['a1', 'a2', 'a3']);
    expect(diff.leaderChanged).toBe(false);
  });
});

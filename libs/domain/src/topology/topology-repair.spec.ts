import { buildTopologyLayout, findNode } from './topology-layout';
import { diffTopologyLayouts, repairTopologyLayout } from './topology-repair';
import { members } from './topology.fixtures';
import { TopologyMember } from './topology.types';

const fail = (list: TopologyMember[], id: string) => list.map((m) => (m.agentId === id ? { ...m, status: 'unhealthy' as const } : m));

describe('repairTopologyLayout', () => {
  it('reports no change when nothing changed', () => {
    const team = members(4);
    const before = buildTopologyLayout(team, { topology: 'ring' });
    const { diff } = repairTopologyLayout(before, team);
    expect(diff).toMatchObject({ changed: false, leaderChanged: false, changes: [] });
  });

  it('keeps a live leader even when the election would now pick someone else', () => {
    const team = members(3);
    const before = buildTopologyLayout(team, { topology: 'star' });
    const after = repairTopologyLayout(before, team.map((m) => (m.agentId === 'a3' ? { ...m, priority: 99 } : m)));
    expect(after.layout.leaderId).toBe('a1');
  });

  it('star: re-centres on the elected successor when the leader fails', () => {
    const team = members(4, { a3: { priority: 5 } });
    const before = buildTopologyLayout(team, { topology: 'star' });
    const { layout, diff } = repairTopologyLayout(before, fail(team, 'a1'));
    expect(layout.leaderId).toBe('a3');
    expect(findNode(layout, 'a3')!.neighbours).toEqual(['a2', 'a4']);
    expect(findNode(layout, 'a2')!.neighbours).toEqual(['a3']);
    expect(diff).toMatchObject({ leaderChanged: true, previousLeaderId: 'a1', leaderId: 'a3', changed: true });
    expect(diff.changes.find((c) => c.agentId === 'a3')).toMatchObject({ role: { from: 'worker', to: 'coordinator' } });
    expect(diff.changes.find((c) => c.agentId === 'a2')).toEqual({
      agentId: 'a2',
      neighbours: { added: ['a3'], removed: ['a1'] },
    });
  });

  it('ring: relinks around a lost member and starts at the new leader', () => {
    const team = members(4);
    const before = buildTopologyLayout(team, { topology: 'ring' });
    const { layout, diff } = repairTopologyLayout(before, team.filter((m) => m.agentId !== 'a1'));
    expect(layout.order).toEqual(['a2', 'a3', 'a4']);
    expect(findNode(layout, 'a4')!.neighbours).toEqual(['a2', 'a3']);
    expect(diff.removed).toEqual(['a1']);
    expect(diff.changes.map((c) => c.agentId)).toEqual(['a2', 'a4']);
  });

  it('hierarchical: a lost supervisor is replaced by the last leaf, which adopts its children', () => {
    const team = members(7);
    const before = buildTopologyLayout(team, { topology: 'hierarchical', maxChildrenPerParent: 2 });
    const { layout, diff } = repairTopologyLayout(before, fail(team, 'a2'));
    expect(layout.order).toEqual(['a1', 'a7', 'a3', 'a4', 'a5', 'a6']);
    expect(findNode(layout, 'a4')!.parentId).toBe('a7');
    expect(findNode(layout, 'a5')!.parentId).toBe('a7');
    expect(findNode(layout, 'a7')).toMatchObject({ parentId: 'a1', role: 'supervisor' });
    expect(findNode(layout, 'a6')!.parentId).toBe('a3');
    expect(diff.leaderChanged).toBe(false);
    const moved = diff.changes.filter((c) => c.parentId).map((c) => c.agentId);
    expect(moved).toEqual(['a2', 'a4', 'a5', 'a7']);
  });

  it('hierarchical: a new leader takes the root and the tree stays within the ratio', () => {
    const team = members(7, { a5: { priority: 5 } });
    const before = buildTopologyLayout(team, { topology: 'hierarchical', maxChildrenPerParent: 2 });
    const { layout, diff } = repairTopologyLayout(before, fail(team, 'a1'));
    expect(layout.leaderId).toBe('a5');
    expect(layout.order[0]).toBe('a5');
    expect(layout.order).toHaveLength(6);
    expect(findNode(layout, 'a5')).toMatchObject({ role: 'coordinator', parentId: null, level: 0 });
    const children = (id: string) => layout.nodes.filter((n) => n.parentId === id).length;
    expect(Math.max(...layout.nodes.map((n) => children(n.agentId)))).toBeLessThanOrEqual(2);
    expect(diff).toMatchObject({ leaderChanged: true, previousLeaderId: 'a1', leaderId: 'a5' });
  });

  it('hierarchical: newcomers fill the next free slots', () => {
    const before = buildTopologyLayout(members(3), { topology: 'hierarchical', maxChildrenPerParent: 2 });
    const { layout, diff } = repairTopologyLayout(before, members(5));
    expect(layout.order).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(findNode(layout, 'a4')!.parentId).toBe('a2');
    expect(diff.added).toEqual(['a4', 'a5']);
    expect(diff.changes.find((c) => c.agentId === 'a2')).toMatchObject({ role: { from: 'worker', to: 'supervisor' } });
  });

  it('a live agent newly pinned as coordinator takes over', () => {
    const team = members(3);
    const before = buildTopologyLayout(team, { topology: 'star' });
    const { diff } = repairTopologyLayout(before, team.map((m) => (m.agentId === 'a2' ? { ...m, pinnedRole: 'coordinator' as const } : m)));
    expect(diff).toMatchObject({ leaderChanged: true, leaderId: 'a2' });
  });
});

describe('diffTopologyLayouts', () => {
  it('reports a topology switch as a change', () => {
    const team = members(3);
    const diff = diffTopologyLayouts(buildTopologyLayout(team, { topology: 'mesh' }), buildTopologyLayout(team, { topology: 'star' }));
    expect(diff.changed).toBe(true);
    expect(diff.changes.find((c) => c.agentId === 'a2')!.neighbours).toEqual({ added: [], removed: ['a3'] });
  });
});

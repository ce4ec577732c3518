import { buildTopologyLayout, findNode, ringPipeline } from './topology-layout';
import { members } from './topology.fixtures';
import { TopologyLayout } from './topology.types';

const node = (layout: TopologyLayout, id: string) => findNode(layout, id)!;
const parents = (layout: TopologyLayout) => Object.fromEntries(layout.nodes.map((n) => [n.agentId, n.parentId]));
const roles = (layout: TopologyLayout) => Object.fromEntries(layout.nodes.map((n) => [n.agentId, n.role]));

describe('buildTopologyLayout: leader and roles', () => {
  it('elects the leader with the shared election and makes it the coordinator', () => {
    const layout = buildTopologyLayout(members(3, { a2: { priority: 99 } }), { topology: 'star' });
    expect(layout.leaderId).toBe('a2');
    expect(roles(layout)).toEqual({ a1: 'worker', a2: 'coordinator', a3: 'worker' });
  });

  it('has no leader and no links when no member is live', () => {
    const layout = buildTopologyLayout(members(2, { a1: { status: 'unhealthy' }, a2: { status: 'stopped' } }), { topology: 'star' });
    expect(layout.leaderId).toBeNull();
    expect(layout.nodes.every((n) => n.neighbours.length === 0)).toBe(true);
  });

  it('lets a live agent pinned as coordinator lead', () => {
    const layout = buildTopologyLayout(members(3, { a3: { pinnedRole: 'coordinator' } }), { topology: 'mesh' });
    expect(layout.leaderId).toBe('a3');
    expect(node(layout, 'a1').role).toBe('worker');
  });

  it('shows a pinned coordinator that is not up yet as the coordinator while nobody leads, and as a worker once another leads', () => {
    const waiting = buildTopologyLayout(members(2, { a1: { pinnedRole: 'coordinator', status: 'pending' }, a2: { status: 'pending' } }), { topology: 'star' });
    expect(waiting.leaderId).toBeNull();
    expect(roles(waiting)).toEqual({ a1: 'coordinator', a2: 'worker' });
    const led = buildTopologyLayout(members(2, { a1: { pinnedRole: 'coordinator', status: 'unhealthy' } }), { topology: 'star' });
    expect(roles(led)).toEqual({ a1: 'worker', a2: 'coordinator' });
  });

  it('keeps an agent pinned to a lesser role out of the leadership while others can lead', () => {
    const layout = buildTopologyLayout(members(3, { a1: { pinnedRole: 'worker' } }), { topology: 'star' });
    expect(layout.leaderId).toBe('a2');
    expect(node(layout, 'a1').role).toBe('worker');
  });

  it('applies a pinned supervisor role even where the structure would say worker', () => {
    const layout = buildTopologyLayout(members(3, { a3: { pinnedRole: 'supervisor' } }), { topology: 'ring' });
    expect(node(layout, 'a3').role).toBe('supervisor');
  });

  it('orders members by join time, then id, whatever order they arrive in', () => {
    const input = members(3, { a3: { joinedAt: 1_000 } }).reverse();
    const layout = buildTopologyLayout(input, { topology: 'mesh' });
    expect(layout.nodes.map((n) => n.agentId)).toEqual(['a1', 'a3', 'a2']);
  });

  it('rejects a fan-out below one', () => {
    expect(() => buildTopologyLayout(members(3), { topology: 'hierarchical', maxChildrenPerParent: 0 })).toThrow(
      /maxChildrenPerParent/,
    );
  });
});

describe('buildTopologyLayout: shapes', () => {
  it('star links every live worker to the coordinator and nobody else', () => {
    const layout = buildTopologyLayout(members(4), { topology: 'star' });
    expect(node(layout, 'a1').neighbours).toEqual(['a2', 'a3', 'a4']);
    expect(node(layout, 'a2').neighbours).toEqual(['a1']);
    expect(node(layout, 'a2').level).toBe(1);
  });

  it('mesh links every live pair', () => {
    const layout = buildTopologyLayout(members(4, { a4: { status: 'unhealthy' } }), { topology: 'mesh' });
    expect(node(layout, 'a2').neighbours).toEqual(['a1', 'a3']);
    expect(node(layout, 'a4').neighbours).toEqual([]);
  });

  it.each([
    [1, 3, {}],
    [4, 3, { a2: 'a1', a3: 'a1', a4: 'a1' }],
    [7, 2, { a2: 'a1', a3: 'a1', a4: 'a2', a5: 'a2', a6: 'a3', a7: 'a3' }],
    [6, 1, { a2: 'a1', a3: 'a2', a4: 'a3', a5: 'a4', a6: 'a5' }],
  ])('hierarchical tree of %i members with %i children per parent', (count, ratio, expected) => {
    const layout = buildTopologyLayout(members(count), { topology: 'hierarchical', maxChildrenPerParent: ratio });
    const got = parents(layout);
    expect(got.a1).toBeNull();
    delete got.a1;
    expect(got).toEqual(expected);
  });

  it('hierarchical levels: coordinator, supervisors with children, leaf workers', () => {
    const layout = buildTopologyLayout(members(6), { topology: 'hierarchical', maxChildrenPerParent: 2 });
    expect(roles(layout)).toEqual({
      a1: 'coordinator',
      a2: 'supervisor',
      a3: 'supervisor',
      a4: 'worker',
      a5: 'worker',
      a6: 'worker',
    });
    expect(layout.nodes.map((n) => n.level)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(node(layout, 'a2').neighbours).toEqual(['a1', 'a4', 'a5']);
  });

  it('hierarchical never gives a parent more children than the ratio', () => {
    const layout = buildTopologyLayout(members(40), { topology: 'hierarchical', maxChildrenPerParent: 4 });
    const counts = new Map<string, number>();
    layout.nodes.forEach((n) => n.parentId && counts.set(n.parentId, (counts.get(n.parentId) ?? 0) + 1));
    expect(Math.max(...counts.values())).toBe(4);
    expect(layout.nodes.filter((n) => n.parentId === null)).toHaveLength(1);
  });

  it('hierarchical leaves members that are not live out of the tree', () => {
    const layout = buildTopologyLayout(members(4, { a2: { status: 'unhealthy' } }), { topology: 'hierarchical', maxChildrenPerParent: 1 });
    expect(layout.order).toEqual(['a1', 'a3', 'a4']);
    expect(node(layout, 'a2')).toMatchObject({ parentId: null, level: null, neighbours: [] });
  });

  it('ring starts at the leader and links predecessor and successor', () => {
    const layout = buildTopologyLayout(members(4, { a3: { priority: 50 } }), { topology: 'ring' });
    expect(layout.order).toEqual(['a3', 'a4', 'a1', 'a2']);
    expect(node(layout, 'a3').neighbours).toEqual(['a2', 'a4']);
    expect(node(layout, 'a1').neighbours).toEqual(['a2', 'a4']);
  });

  it('ring closes around an unhealthy member', () => {
    const layout = buildTopologyLayout(members(4, { a2: { status: 'unhealthy' } }), { topology: 'ring' });
    expect(node(layout, 'a1').neighbours).toEqual(['a3', 'a4']);
    expect(node(layout, 'a3').neighbours).toEqual(['a1', 'a4']);
    expect(node(layout, 'a2').neighbours).toEqual([]);
  });

  it('a ring of two links the pair once each way', () => {
    const layout = buildTopologyLayout(members(2), { topology: 'ring' });
    expect(node(layout, 'a1').neighbours).toEqual(['a2']);
  });
});

describe('ringPipeline', () => {
  const ring = buildTopologyLayout(members(5, { a3: { status: 'unhealthy' } }), { topology: 'ring' });

  it('travels the ring from the leader, skipping unhealthy members', () => {
    expect(ringPipeline(ring)).toEqual(['a1', 'a2', 'a4', 'a5']);
  });

  it('can start just after a given member and wrap around', () => {
    expect(ringPipeline(ring, 'a4', false)).toEqual(['a5', 'a1', 'a2']);
  });

  it('refuses other topologies', () => {
    expect(() => ringPipeline(buildTopologyLayout(members(2), { topology: 'star' }))).toThrow(/ring/);
  });
});

import { Conflict } from '../errors/domain-error';
import { delegationTargets, spreadSubtasks } from './delegation-rules';
import { buildTopologyLayout } from './topology-layout';
import { members } from './topology.fixtures';

describe('delegationTargets', () => {
  it('hierarchical: a supervisor delegates to its live children only; a leaf worker cannot', () => {
    const team = members(7, { a5: { status: 'unhealthy' } });
    const layout = buildTopologyLayout(team, { topology: 'hierarchical', maxChildrenPerParent: 2 });
    // Slots: a1 → (a2, a3); a2 → (a4, a6); a3 → (a7). a5 is down and outside the tree.
    expect(delegationTargets(layout, 'a1')).toEqual({ allowed: true, rule: 'hierarchical.delegate_to_children', targets: ['a2', 'a3'] });
    expect(delegationTargets(layout, 'a2')).toMatchObject({ allowed: true, targets: ['a4', 'a6'] });
    expect(delegationTargets(layout, 'a4')).toMatchObject({ allowed: false, rule: 'hierarchical.delegate_to_children', message: 'a4 has no live children to delegate to' });
  });

  it('star: only the coordinator hands out work, to every live worker', () => {
    const layout = buildTopologyLayout(members(3), { topology: 'star' });
    expect(delegationTargets(layout, 'a1')).toEqual({ allowed: true, rule: 'star.coordinator_distributes', targets: ['a2', 'a3'] });
    expect(delegationTargets(layout, 'a2')).toMatchObject({ allowed: false, rule: 'star.coordinator_distributes' });
  });

  it('mesh hands over to any peer; ring to its successor first', () => {
    expect(delegationTargets(buildTopologyLayout(members(3), { topology: 'mesh' }), 'a2')).toMatchObject({ allowed: true, rule: 'mesh.hand_over_to_peer', targets: ['a1', 'a3'] });
    const ring = buildTopologyLayout(members(4), { topology: 'ring' });
    expect(delegationTargets(ring, 'a2')).toEqual({ allowed: true, rule: 'ring.delegate_to_neighbours', targets: ['a3', 'a1'] });
    expect(delegationTargets(ring, 'nobody')).toMatchObject({ allowed: false, rule: 'membership.unknown_sender' });
  });
});

describe('spreadSubtasks', () => {
  const targets = [
    { agentId: 'x', capabilities: ['gpu'] },
    { agentId: 'y', capabilities: [] },
  ];

  it('spreads evenly over capable targets', () => {
    expect(spreadSubtasks(targets, [[], [], [], []])).toEqual(['x', 'y', 'x', 'y']);
    expect(spreadSubtasks(targets, [['gpu'], [], ['gpu'], []])).toEqual(['x', 'y', 'x', 'y']);
    expect(spreadSubtasks(targets, [['gpu'], ['gpu'], []])).toEqual(['x', 'x', 'y']);
  });

  it('names the subtask nobody can run', () => {
    expect(() => spreadSubtasks(targets, [[], ['tpu']])).toThrow(Conflict);
    expect(() => spreadSubtasks(targets, [[], ['tpu']])).toThrow('subtasks.1: none of the agents this one may delegate to has capabilities [tpu]');
  });
});

import { decideMessage } from './message-rules';
import { buildTopologyLayout } from './topology-layout';
import { members } from './topology.fixtures';

describe('decideMessage', () => {
  const star = buildTopologyLayout(members(4), { topology: 'star' });

  it('star: a worker may message the coordinator and back', () => {
    expect(decideMessage(star, 'a2', 'a1')).toMatchObject({ allowed: true, rule: 'star.coordinator_link' });
    expect(decideMessage(star, 'a1', 'a3')).toMatchObject({ allowed: true, recipients: ['a3'] });
  });

  it('star: workers may not message each other', () => {
    const decision = decideMessage(star, 'a2', 'a3');
    expect(decision).toMatchObject({ allowed: false, rule: 'star.workers_talk_to_coordinator_only' });
    expect(decision.message).toContain('a2');
  });

  it('star: a coordinator broadcast reaches every live worker, a worker broadcast only the coordinator', () => {
    expect(decideMessage(star, 'a1', 'broadcast')).toMatchObject({ allowed: true, recipients: ['a2', 'a3', 'a4'] });
    expect(decideMessage(star, 'a4', 'broadcast')).toMatchObject({ allowed: true, recipients: ['a1'] });
  });

  it('mesh: anyone may message anyone and broadcast to all live members', () => {
    const mesh = buildTopologyLayout(members(4, { a4: { status: 'unhealthy' } }), { topology: 'mesh' });
    expect(decideMessage(mesh, 'a2', 'a3')).toMatchObject({ allowed: true, rule: 'mesh.any' });
    expect(decideMessage(mesh, 'a3', 'broadcast')).toMatchObject({ recipients: ['a1', 'a2'] });
  });

  it('hierarchical: parent and child may talk, siblings and grandparents may not', () => {
    const tree = buildTopologyLayout(members(7), { topology: 'hierarchical', maxChildrenPerParent: 2 });
    expect(decideMessage(tree, 'a4', 'a2')).toMatchObject({ allowed: true, rule: 'hierarchical.parent_child' });
    expect(decideMessage(tree, 'a2', 'a3')).toMatchObject({ allowed: false, rule: 'hierarchical.parent_child_only' });
    expect(decideMessage(tree, 'a4', 'a1')).toMatchObject({ allowed: false, rule: 'hierarchical.parent_child_only' });
    expect(decideMessage(tree, 'a2', 'broadcast')).toMatchObject({ recipients: ['a1', 'a4', 'a5'] });
  });

  it('ring: only predecessor and successor', () => {
    const ring = buildTopologyLayout(members(5), { topology: 'ring' });
    expect(decideMessage(ring, 'a1', 'a5')).toMatchObject({ allowed: true, rule: 'ring.neighbours' });
    expect(decideMessage(ring, 'a1', 'a3')).toMatchObject({ allowed: false, rule: 'ring.neighbours_only' });
    expect(decideMessage(ring, 'a3', 'broadcast')).toMatchObject({ recipients: ['a2', 'a4'] });
  });

  it('refuses unknown agents, self messages and members that are not live', () => {
    const layout = buildTopologyLayout(members(3, { a3: { status: 'unhealthy' } }), { topology: 'mesh' });
    expect(decideMessage(layout, 'zz', 'a1').rule).toBe('membership.unknown_sender');
    expect(decideMessage(layout, 'a1', 'zz').rule).toBe('membership.unknown_recipient');
    expect(decideMessage(layout, 'a1', 'a1').rule).toBe('message.self');
    expect(decideMessage(layout, 'a1', 'a3').rule).toBe('membership.recipient_not_live');
    expect(decideMessage(layout, 'a3', 'a1').rule).toBe('membership.sender_not_live');
  });

  it('refuses a broadcast nobody can receive', () => {
    const alone = buildTopologyLayout(members(1), { topology: 'star' });
    expect(decideMessage(alone, 'a1', 'broadcast')).toMatchObject({ allowed: false, rule: 'broadcast.no_recipients' });
  });
});

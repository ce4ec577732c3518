import { checkDelegation } from './delegation-check';

describe('checkDelegation', () => {
  const context = { participants: ['a', 'b', 'c', 'd'], acceptedVotes: [{ agentId: 'a' }, { agentId: 'd' }], closed: false, delegations: [{ from: 'd', to: 'b' }] };

  it('lets a participant that has not acted delegate to another participant', () => {
    expect(checkDelegation(context, { from: 'b', to: 'c' })).toEqual({ accepted: true });
    expect(checkDelegation(context, { from: 'c', to: 'd' })).toEqual({ accepted: true });
  });

  it.each([
    ['an outsider', { from: 'z', to: 'b' }, 'not_participant', 'agent z is not a participant of the proposal'],
    ['a second delegation', { from: 'd', to: 'c' }, 'delegated', 'agent d already delegated its vote to b'],
    ['an agent that voted', { from: 'a', to: 'b' }, 'already_voted', 'agent a has already voted'],
    ['a delegation to oneself', { from: 'b', to: 'b' }, 'invalid_value', 'an agent cannot delegate its vote to itself'],
    ['a delegation to an outsider', { from: 'b', to: 'z' }, 'invalid_value', 'agent z is not a participant: a vote can only be delegated to one'],
  ])('rejects %s', (_name, delegation, reason, message) => {
    expect(checkDelegation(context, delegation)).toEqual({ accepted: false, reason, message });
  });

  it('rejects everything once the proposal is closed', () => {
    expect(checkDelegation({ ...context, closed: true }, { from: 'b', to: 'c' })).toMatchObject({ accepted: false, reason: 'proposal_closed' });
  });
});

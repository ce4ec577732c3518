import { readBallot } from './cast-vote';

const PROPOSAL = '0190b6a0-0000-7000-8000-00000000000A';
const AGENT = '0190b6a0-0000-7000-8000-000000000002';

describe('readBallot', () => {
  it('reads a vote for any JSON value, null included, and a delegation', () => {
    expect(readBallot({ proposal_id: PROPOSAL, value: { plan: 'A' } })).toEqual({ ok: true, value: { proposalId: PROPOSAL.toLowerCase(), kind: 'vote', value: { plan: 'A' } } });
    expect(readBallot({ proposal_id: PROPOSAL, value: null })).toEqual({ ok: true, value: { proposalId: PROPOSAL.toLowerCase(), kind: 'vote', value: null } });
    expect(readBallot({ proposal_id: PROPOSAL, delegate_to: AGENT })).toEqual({ ok: true, value: { proposalId: PROPOSAL.toLowerCase(), kind: 'delegation', delegateTo: AGENT } });
  });

  it.each([
    ['not an object', 'yes', 'payload must be a JSON object'],
    ['an array', [PROPOSAL], 'payload must be a JSON object'],
    ['an unknown field', { proposal_id: PROPOSAL, value: 1, colour: 'red' }, 'property colour should not exist'],
    ['a proposal id that is not a UUID', { proposal_id: 'p-1', value: 1 }, 'proposal_id must be a UUID'],
    ['neither value nor delegate_to', { proposal_id: PROPOSAL }, 'give exactly one of value (a vote) or delegate_to (an agent id)'],
    ['both value and delegate_to', { proposal_id: PROPOSAL, value: 1, delegate_to: AGENT }, 'give exactly one of value (a vote) or delegate_to (an agent id)'],
    ['a delegate that is not an agent id', { proposal_id: PROPOSAL, delegate_to: 'bob' }, 'delegate_to must be an agent id (UUID)'],
  ])('refuses %s', (_name, payload, message) => {
    expect(readBallot(payload)).toEqual({ ok: false, message });
  });
});

import type { ProposalRow, VoteRow } from '@swarm/db';
import { tallyVotes } from '@swarm/domain';
import { castEventsOf, consensusInputOf, presentTally } from './consensus-settlement';

const proposal = (overrides: Partial<ProposalRow> = {}): ProposalRow => ({
  id: 'p',
  ownerId: 'o',
  swarmId: 's',
  question: 'which?',
  options: ['x', 'y'],
  algorithm: 'delegated',
  threshold: null,
  quorum: null,
  weights: { a: 2 },
  successRates: null,
  participants: ['a', 'b', 'c'],
  status: 'open',
  decidedValue: null,
  outcomeReason: null,
  confidence: null,
  participation: null,
  tally: null,
  deadlineAt: new Date(60_000),
  createdAt: new Date(0),
  decidedAt: null,
  votes: [],
  ...overrides,
});
const vote = (agentId: string, value: unknown, castAt: number, delegateAgentId: string | null = null): VoteRow => ({ agentId, value, weight: 1, delegateAgentId, castAt: new Date(castAt) });

describe('consensusInputOf', () => {
  it('splits stored rows into votes and delegations and passes the stored terms, null as absent', () => {
    const input = consensusInputOf(proposal(), [vote('a', null, 1, 'b'), vote('b', 'x', 2)], false);
    expect(input).toEqual({
      algorithm: 'delegated',
      participants: ['a', 'b', 'c'],
      votes: [{ agentId: 'b', value: 'x', castAt: 2 }],
      delegations: [{ from: 'a', to: 'b' }],
      options: ['x', 'y'],
      quorum: undefined,
      threshold: undefined,
      weights: { a: 2 },
      successRates: undefined,
      deadlinePassed: false,
    });
    // a (weight 2) follows b: x carries 3 of 4 and is decided before c votes.
    expect(tallyVotes(input)).toMatchObject({ status: 'decided', value: 'x' });
  });

  it('takes a free-form proposal (no options) as accepting any value', () => {
    const outcome = tallyVotes(consensusInputOf(proposal({ options: null, algorithm: 'majority' }), [vote('a', { any: 1 }, 1), vote('b', { any: 1 }, 2)], false));
    expect(outcome).toMatchObject({ status: 'decided', value: { any: 1 } });
  });
});

describe('presentTally', () => {
  it('is the outcome in snake_case, rejected votes by agent', () => {
    const outcome = tallyVotes(consensusInputOf(proposal({ algorithm: 'majority' }), [vote('a', 'x', 1), vote('z', 'x', 2)], true));
    expect(presentTally(outcome)).toEqual({
      status: 'not_reached',
      entries: [{ value: 'x', weight: 1, voters: ['a'] }],
      participation: { by_weight: 1 / 3, by_count: 1 / 3 },
      confidence: 1,
      rejected: [{ agent_id: 'z', reason: 'not_participant', message: 'agent z is not a participant of the proposal' }],
    });
  });
});

describe('castEventsOf', () => {
  it('gives each newly recorded vote an event with the tally of the votes cast up to it, and none to votes recorded before', () => {
    const terms = proposal({ algorithm: 'majority', weights: null });
    const rows = [
      { ...vote('a', 'x', 1), fresh: false },
      { ...vote('b', 'y', 2), fresh: true },
      { ...vote('c', 'x', 3), fresh: true },
    ];
    const events = castEventsOf(terms, rows);
    expect(events.map((e) => [e.agentId, e.data.value, e.data.votes_cast])).toEqual([
      ['b', 'y', 2],
      ['c', 'x', 3],
    ]);
    expect(events.every((e) => e.type === 'consensus.vote_cast' && e.swarmId === 's' && e.ownerId === 'o' && e.data.proposal_id === 'p')).toBe(true);
    const entries = (event: (typeof events)[number]) => (event.data.tally as ReturnType<typeof presentTally>).entries.map((t) => [t.value, t.weight]);
    expect(entries(events[0])).toEqual(expect.arrayContaining([['x', 1], ['y', 1]]));
    expect((events[0].data.tally as ReturnType<typeof presentTally>).status).toBe('pending');
    expect(entries(events[1])).toEqual(expect.arrayContaining([['x', 2], ['y', 1]]));
    expect((events[1].data.tally as ReturnType<typeof presentTally>).status).toBe('decided');
  });

  it('records a delegation as delegate_to, not a value', () => {
    const [event] = castEventsOf(proposal(), [{ ...vote('a', null, 1, 'b'), fresh: true }]);
    expect(event.data).toMatchObject({ delegate_to: 'b', votes_cast: 1 });
    expect(event.data).not.toHaveProperty('value');
  });
});

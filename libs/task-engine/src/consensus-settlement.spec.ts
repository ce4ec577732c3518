import type { ProposalRow, VoteRow } from '@swarm/db';
import { tallyVotes } from '@swarm/domain';
import { consensusInputOf, presentTally } from './consensus-settlement';

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

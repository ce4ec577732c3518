import { Conflict, Forbidden, ValidationFailed } from '../errors/domain-error';
import { canonicalJson, jsonEquals } from './canonical-json';
import { ConsensusInput, Vote } from './consensus.types';
import { learnedWeight, resolveDelegations, tallyVotes } from './tally';
import { assertVoteAccepted, checkVote } from './vote-validation';

let clock = 0;
const vote = (agentId: string, value: unknown, castAt = ++clock): Vote => ({ agentId, value, castAt });
const agents = (n: number) => Array.from({ length: n }, (_, i) => `a${i + 1}`);

const input = (extra: Partial<ConsensusInput>): ConsensusInput => ({
  algorithm: 'majority',
  participants: agents(5),
  votes: [],
  deadlinePassed: false,
  ...extra,
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, so key order never makes two values differ', () => {
    expect(canonicalJson({ b: 2, a: { d: [1, { y: 1, x: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[1,{"x":2,"y":1}]},"b":2}');
    expect(jsonEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: '1' })).toBe(false);
  });

  it('rejects what JSON cannot carry', () => {
    const looped: Record<string, unknown> = {};
    looped.self = looped;
    expect(() => canonicalJson(looped)).toThrow(ValidationFailed);
    expect(() => canonicalJson(undefined)).toThrow(ValidationFailed);
    expect(() => canonicalJson(1n)).toThrow(ValidationFailed);
  });
});

describe('tallyVotes: majority', () => {
  it('decides on a strict majority once every vote is in', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'yes'), vote('a2', 'yes'), vote('a3', 'yes'), vote('a4', 'no'), vote('a5', 'no')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'yes', confidence: 0.6, participation: { byWeight: 1, byCount: 1 } });
    expect(outcome.tally).toEqual([
      { value: 'yes', key: '"yes"', weight: 3, voters: ['a1', 'a2', 'a3'] },
      { value: 'no', key: '"no"', weight: 2, voters: ['a4', 'a5'] },
    ]);
  });

  it('decides early once the uncast votes cannot overturn the leader', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'yes'), vote('a2', 'yes'), vote('a3', 'yes')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'yes', confidence: 1, participation: { byWeight: 0.6, byCount: 0.6 } });
  });

  it('stays pending while the uncast votes could still change the outcome', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'yes'), vote('a2', 'yes'), vote('a3', 'no')] }));
    expect(outcome.status).toBe('pending');
    expect(outcome.value).toBeUndefined();
    expect(outcome.confidence).toBeCloseTo(2 / 3);
  });

  it('at the deadline decides on the votes cast, if the quorum is met', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'yes'), vote('a2', 'yes'), vote('a3', 'no')], deadlinePassed: true }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'yes' });
  });

  it('reports a tie between the two leading values', () => {
    const outcome = tallyVotes(input({ participants: agents(4), votes: [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'y'), vote('a4', 'y')] }));
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'tie', confidence: 0.5 });
  });

  it('reports threshold_not_met when the leader has only a plurality', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'y'), vote('a4', 'z'), vote('a5', 'w')] }));
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'threshold_not_met', confidence: 0.4 });
  });

  it('reports no_quorum at the deadline when too few voted', () => {
    const outcome = tallyVotes(input({ votes: [vote('a1', 'x'), vote('a2', 'x')], deadlinePassed: true }));
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'no_quorum', participation: { byWeight: 0.4, byCount: 0.4 } });
  });

  it('honours a custom quorum', () => {
    expect(tallyVotes(input({ votes: [vote('a1', 'x'), vote('a2', 'x')], quorum: 0.4, deadlinePassed: true })).status).toBe('decided');
    // 3 unanimous votes would be an early majority, but a quorum of 0.8 needs a fourth voter.
    expect(tallyVotes(input({ votes: [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'x')], quorum: 0.8 })).status).toBe('pending');
  });

  it('reports timeout when the deadline passed without a vote', () => {
    expect(tallyVotes(input({ deadlinePassed: true }))).toMatchObject({ status: 'not_reached', reason: 'timeout', confidence: 0, tally: [] });
  });

  it('is pending, not failed, before the deadline with no votes', () => {
    expect(tallyVotes(input({})).status).toBe('pending');
  });

  it('counts only the first vote of an agent and reports the second', () => {
    const outcome = tallyVotes(input({ participants: agents(3), votes: [vote('a1', 'x', 1), vote('a1', 'y', 5), vote('a2', 'y', 2), vote('a3', 'x', 3)] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'x' });
    expect(outcome.rejected).toEqual([expect.objectContaining({ reason: 'already_voted', vote: expect.objectContaining({ value: 'y', castAt: 5 }) })]);
  });

  it('ignores votes of outsiders and for values outside the options', () => {
    const outcome = tallyVotes(
      input({ participants: agents(3), options: ['x', 'y'], votes: [vote('intruder', 'y'), vote('a1', 'z'), vote('a2', 'x'), vote('a3', 'x')] }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: 'x', participation: { byCount: 2 / 3 } });
    expect(outcome.rejected.map((r) => r.reason)).toEqual(['not_participant', 'not_an_option']);
  });

  it('groups JSON values by canonical form, whatever their key order', () => {
    const outcome = tallyVotes(
      input({ participants: agents(3), options: [{ plan: 'A', steps: 2 }, { plan: 'B' }], votes: [vote('a1', { steps: 2, plan: 'A' }), vote('a2', { plan: 'A', steps: 2 }), vote('a3', { plan: 'B' })] }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: { steps: 2, plan: 'A' } });
    expect(outcome.tally[0].voters).toEqual(['a1', 'a2']);
  });
});

describe('tallyVotes: super_majority', () => {
  it('accepts 2 of 3 under the default two-thirds threshold', () => {
    const outcome = tallyVotes(input({ algorithm: 'super_majority', participants: agents(3), votes: [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'y')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'x' });
  });

  it('rejects 2 of 3 under a 0.75 threshold', () => {
    const outcome = tallyVotes(
      input({ algorithm: 'super_majority', threshold: 0.75, participants: agents(3), votes: [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'y')] }),
    );
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'threshold_not_met' });
  });

  it('decides early only when the threshold holds against every remaining vote', () => {
    const votes = [vote('a1', 'x'), vote('a2', 'x'), vote('a3', 'x')];
    expect(tallyVotes(input({ algorithm: 'super_majority', threshold: 0.6, votes })).status).toBe('decided'); // 3 >= 0.6 * 5
    expect(tallyVotes(input({ algorithm: 'super_majority', threshold: 0.8, votes })).status).toBe('pending'); // 3 < 0.8 * 5
  });

  it('rejects a threshold outside (0.5, 1]', () => {
    expect(() => tallyVotes(input({ algorithm: 'super_majority', threshold: 0.5 }))).toThrow(ValidationFailed);
    expect(() => tallyVotes(input({ algorithm: 'super_majority', threshold: 1.2 }))).toThrow(ValidationFailed);
  });
});

describe('tallyVotes: unanimous', () => {
  it('decides when every participant voted the same', () => {
    const outcome = tallyVotes(input({ algorithm: 'unanimous', participants: agents(3), votes: agents(3).map((a) => vote(a, 'ok')) }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'ok', confidence: 1 });
  });

  it('fails as soon as two values are cast, without waiting', () => {
    const outcome = tallyVotes(input({ algorithm: 'unanimous', votes: [vote('a1', 'ok'), vote('a2', 'no')] }));
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'not_unanimous' });
  });

  it('waits for every voter even when agreement so far is complete', () => {
    expect(tallyVotes(input({ algorithm: 'unanimous', votes: agents(4).map((a) => vote(a, 'ok')) })).status).toBe('pending');
  });

  it('at the deadline decides on the votes cast when the quorum is met, fails otherwise', () => {
    const cast = (n: number) => agents(n).map((a) => vote(a, 'ok'));
    expect(tallyVotes(input({ algorithm: 'unanimous', votes: cast(3), deadlinePassed: true })).status).toBe('decided');
    expect(tallyVotes(input({ algorithm: 'unanimous', votes: cast(2), deadlinePassed: true })).reason).toBe('no_quorum');
  });
});

describe('tallyVotes: weighted', () => {
  it('weighs votes by explicit weights; a missing weight counts 1', () => {
    const outcome = tallyVotes(
      input({ algorithm: 'weighted', participants: ['big', 'a', 'b'], weights: { big: 3 }, votes: [vote('big', 'x'), vote('a', 'y'), vote('b', 'y')] }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: 'x', confidence: 0.6 });
    expect(outcome.tally.map((e) => e.weight)).toEqual([3, 2]);
  });

  it('weighs votes by learned success rates', () => {
    const outcome = tallyVotes(
      input({
        algorithm: 'weighted',
        participants: ['reliable', 'flaky1', 'flaky2'],
        successRates: { reliable: 0.95, flaky1: 0.3, flaky2: 0.4 },
        votes: [vote('reliable', 'x'), vote('flaky1', 'y'), vote('flaky2', 'y')],
      }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: 'x' });
    expect(outcome.confidence).toBeCloseTo(0.95 / 1.65);
  });

  it('prefers an explicit weight over a learned one', () => {
    const outcome = tallyVotes(
      input({ algorithm: 'weighted', participants: ['a', 'b'], weights: { a: 1 }, successRates: { a: 0.1, b: 0.5 }, votes: [vote('a', 'x'), vote('b', 'y')] }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: 'x', confidence: 1 / 1.5 });
  });

  it('decides early when one heavy agent outweighs everyone else', () => {
    const outcome = tallyVotes(input({ algorithm: 'weighted', participants: ['big', 'a', 'b'], weights: { big: 5 }, votes: [vote('big', 'x')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'x', participation: { byWeight: 5 / 7, byCount: 1 / 3 } });
  });

  it('ignores weights under the one-agent-one-vote algorithms', () => {
    const outcome = tallyVotes(input({ participants: ['big', 'a', 'b'], weights: { big: 5 }, votes: [vote('big', 'x'), vote('a', 'y'), vote('b', 'y')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'y' });
  });

  it('rejects invalid weights and rates', () => {
    expect(() => learnedWeight(1.5)).toThrow(ValidationFailed);
    expect(learnedWeight(0.8)).toBe(0.8);
    expect(() => tallyVotes(input({ algorithm: 'weighted', weights: { a1: -1 } }))).toThrow(ValidationFailed);
    expect(() => tallyVotes(input({ algorithm: 'weighted', participants: ['a'], successRates: { a: 0 } }))).toThrow(/no weight/);
  });
});

describe('tallyVotes: delegated', () => {
  it('resolves chains to the final voter, who carries every delegator', () => {
    const outcome = tallyVotes(
      input({
        algorithm: 'delegated',
        participants: ['a', 'b', 'c', 'd', 'e'],
        delegations: [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
        ],
        votes: [vote('c', 'x'), vote('d', 'y'), vote('e', 'y')],
      }),
    );
    expect(outcome).toMatchObject({ status: 'decided', value: 'x', confidence: 0.6 });
    expect(outcome.tally[0].voters).toEqual(['a', 'b', 'c']);
  });

  it('carries the delegators’ weights', () => {
    const outcome = tallyVotes(
      input({
        algorithm: 'delegated',
        participants: ['a', 'b', 'c'],
        weights: { a: 4 },
        delegations: [{ from: 'a', to: 'b' }],
        votes: [vote('b', 'x'), vote('c', 'y')],
      }),
    );
    expect(outcome.tally).toEqual([expect.objectContaining({ value: 'x', weight: 5 }), expect.objectContaining({ value: 'y', weight: 1 })]);
  });

  it('takes the vote away from agents in, or leading into, a cycle', () => {
    const participants = ['a', 'b', 'c', 'd', 'e'];
    const delegations = [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
      { from: 'c', to: 'a' },
    ];
    expect(resolveDelegations(participants, delegations)).toEqual(
      new Map([
        ['a', null],
        ['b', null],
        ['c', null],
        ['d', 'd'],
        ['e', 'e'],
      ]),
    );
    const outcome = tallyVotes(input({ algorithm: 'delegated', participants, delegations, votes: [vote('a', 'x'), vote('d', 'y'), vote('e', 'y')] }));
    // a's direct vote is rejected (it delegated); d and e are all that can ever vote: 2 of 5 < quorum.
    expect(outcome).toMatchObject({ status: 'not_reached', reason: 'no_quorum' });
    expect(outcome.rejected.map((r) => r.reason)).toEqual(['delegated']);
  });

  it('treats a self-delegation as a cycle and a delegation to an outsider as none', () => {
    const map = resolveDelegations(['a', 'b'], [
      { from: 'a', to: 'a' },
      { from: 'b', to: 'outsider' },
    ]);
    expect(map).toEqual(
      new Map([
        ['a', null],
        ['b', 'b'],
      ]),
    );
  });

  it('waits for a delegate that has not voted yet', () => {
    const outcome = tallyVotes(
      input({
        algorithm: 'delegated',
        participants: ['a', 'b', 'c', 'd'],
        delegations: [{ from: 'a', to: 'b' }],
        votes: [vote('c', 'x'), vote('d', 'x')],
      }),
    );
    // b will vote with a's weight too: 2 against 2 is still possible.
    expect(outcome).toMatchObject({ status: 'pending', participation: { byCount: 0.5 } });
  });

  it('ignores delegations under other algorithms', () => {
    const outcome = tallyVotes(input({ participants: ['a', 'b', 'c'], delegations: [{ from: 'a', to: 'b' }], votes: [vote('a', 'x'), vote('b', 'y'), vote('c', 'x')] }));
    expect(outcome).toMatchObject({ status: 'decided', value: 'x' });
  });
});

describe('tallyVotes: invalid proposals', () => {
  it('rejects duplicate participants, no participants and a quorum outside [0, 1]', () => {
    expect(() => tallyVotes(input({ participants: ['a', 'a'] }))).toThrow(ValidationFailed);
    expect(() => tallyVotes(input({ participants: [] }))).toThrow(ValidationFailed);
    expect(() => tallyVotes(input({ quorum: 1.5 }))).toThrow(ValidationFailed);
  });
});

describe('checkVote', () => {
  const context = { participants: ['a', 'b', 'c'], acceptedVotes: [{ agentId: 'a' }], options: ['x', { n: 1 }], closed: false, delegations: [{ from: 'c', to: 'b' }] };

  it('accepts a first vote by a participant for an option, compared canonically', () => {
    expect(checkVote(context, { agentId: 'b', value: 'x' })).toEqual({ accepted: true });
    expect(checkVote({ ...context, options: [{ n: 1, m: 2 }] }, { agentId: 'b', value: { m: 2, n: 1 } })).toEqual({ accepted: true });
  });

  it.each([
    ['a second vote', { agentId: 'a', value: 'x' }, 'already_voted', 'agent a has already voted'],
    ['an outsider', { agentId: 'z', value: 'x' }, 'not_participant', 'agent z is not a participant of the proposal'],
    ['a value outside the options', { agentId: 'b', value: 'nope' }, 'not_an_option', `"nope" is not one of the proposal's options`],
    ['an agent that delegated', { agentId: 'c', value: 'x' }, 'delegated', 'agent c delegated its vote to b and cannot also vote'],
  ])('rejects %s', (_name, v, reason, message) => {
    expect(checkVote(context, v)).toEqual({ accepted: false, reason, message });
  });

  it('rejects everything once the proposal is closed', () => {
    expect(checkVote({ ...context, closed: true }, { agentId: 'b', value: 'x' })).toMatchObject({ accepted: false, reason: 'proposal_closed' });
  });

  it('throws errors whose code says who is at fault', () => {
    expect(() => assertVoteAccepted(context, { agentId: 'a', value: 'x' })).toThrow(Conflict);
    expect(() => assertVoteAccepted(context, { agentId: 'z', value: 'x' })).toThrow(Forbidden);
    expect(() => assertVoteAccepted(context, { agentId: 'b', value: 'nope' })).toThrow(ValidationFailed);
    expect(() => assertVoteAccepted(context, { agentId: 'b', value: 'x' })).not.toThrow();
  });
});

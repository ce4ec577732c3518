import { ValidationFailed } from '../errors/domain-error';
import { compareText } from '../tasks/task-ordering';
import { canonicalJson } from './canonical-json';
import {
  ConsensusAlgorithm,
  ConsensusInput,
  ConsensusOutcome,
  Delegation,
  DEFAULT_QUORUM,
  DEFAULT_SUPER_MAJORITY,
  NotReachedReason,
  RejectedVote,
  TallyEntry,
} from './consensus.types';
import { bindingDelegate, checkValue, optionKeys } from './vote-validation';

/** Weights are fractions (learned rates); compare with slack so 2/3 of 3 reaches 2/3. */
const EPSILON = 1e-9;

/**
 * A measured success rate in [0, 1] as a vote weight: the rate itself, so an agent right 90 %
 * of the time counts 0.9 and one that is always wrong has no say.
 */
export function learnedWeight(successRate: number): number {
  if (!Number.isFinite(successRate) || successRate < 0 || successRate > 1) {
    throw new ValidationFailed(`a success rate must be in [0, 1], got ${successRate}`);
  }
  return successRate;
}

/**
 * Weight of each participant. Only 'weighted' and 'delegated' read weights (explicit first,
 * then learned from the success rate, else 1); the other algorithms count one agent, one vote.
 */
export function resolveWeights(input: Pick<ConsensusInput, 'algorithm' | 'participants' | 'weights' | 'successRates'>): Map<string, number> {
  const usesWeights = input.algorithm === 'weighted' || input.algorithm === 'delegated';
  return new Map(
    input.participants.map((agentId) => {
      if (!usesWeights) return [agentId, 1];
      const explicit = input.weights?.[agentId];
      if (explicit !== undefined) {
        if (!Number.isFinite(explicit) || explicit < 0) throw new ValidationFailed(`the weight of ${agentId} must be a finite number >= 0, got ${explicit}`);
        return [agentId, explicit];
      }
      const rate = input.successRates?.[agentId];
      return [agentId, rate === undefined ? 1 : learnedWeight(rate)];
    }),
  );
}

/**
 * Whose vote each participant's weight follows: itself when it does not delegate, else the end
 * of its delegation chain (A→B→C gives C). null for an agent in, or leading into, a cycle: such
 * agents have no vote at all (delegations are binding, so they cannot vote directly either).
 */
export function resolveDelegations(participants: string[], delegations: Delegation[]): Map<string, string | null> {
  const members = new Set(participants);
  const finalVoter = new Map<string, string | null>();
  for (const start of participants) {
    const chain = new Set<string>();
    let current = start;
    let next = bindingDelegate(current, delegations, members);
    while (next !== undefined && !chain.has(current)) {
      chain.add(current);
      current = next;
      next = bindingDelegate(current, delegations, members);
    }
    finalVoter.set(start, next === undefined ? current : null);
  }
  return finalVoter;
}

/**
 * The state of a proposal from its votes. Every algorithm decides on participating weight (the
 * weight that voted, directly or through delegates), after the quorum is met:
 * - majority, weighted, delegated: strictly more than half of it;
 * - super_majority: at least `threshold` of it;
 * - unanimous: every vote for the same value.
 *
 * Decided early, before the deadline, as soon as no way the uncast weight could vote (or not
 * vote) changes the result; likewise not_reached early once two values make unanimity
 * impossible, or the quorum cannot be met any more. Otherwise pending until every participant
 * that can vote has voted or the deadline passed, then final:
 * - timeout: deadline passed without a single valid vote;
 * - no_quorum: too little weight voted;
 * - tie: the two leading values carry the same weight;
 * - threshold_not_met / not_unanimous: the rule was not met.
 * Invalid votes (outsiders, second votes, non-options, delegators voting) are ignored and listed.
 */
export function tallyVotes(input: ConsensusInput): ConsensusOutcome {
  const quorum = input.quorum ?? DEFAULT_QUORUM;
  const threshold = input.threshold ?? DEFAULT_SUPER_MAJORITY;
  validateInput(input, quorum, threshold);

  const weights = resolveWeights(input);
  const totalWeight = sum([...weights.values()]);
  if (totalWeight <= 0) throw new ValidationFailed('the participants carry no weight: at least one weight must be positive');

  const delegations = input.algorithm === 'delegated' ? (input.delegations ?? []) : [];
  const { accepted, rejected } = acceptVotes(input, delegations);
  const finalVoter = resolveDelegations(input.participants, delegations);

  const entries = new Map<string, TallyEntry>();
  let participating = 0;
  let uncast = 0;
  let voterCount = 0;
  let waitingCount = 0;
  for (const agentId of input.participants) {
    const weight = weights.get(agentId)!;
    const voter = finalVoter.get(agentId);
    if (voter === null || voter === undefined) continue; // in a cycle: never votes
    const vote = accepted.get(voter);
    if (!vote) {
      uncast += weight;
      waitingCount += 1;
      continue;
    }
    const entry = entries.get(vote.key) ?? { value: vote.value, key: vote.key, weight: 0, voters: [] };
    entry.weight += weight;
    entry.voters.push(agentId);
    entries.set(vote.key, entry);
    participating += weight;
    voterCount += 1;
  }

  const tally = [...entries.values()]
    .map((e) => ({ ...e, voters: [...e.voters].sort(compareText) }))
    .sort((a, b) => b.weight - a.weight || compareText(a.key, b.key));
  const leader = tally[0];
  const base = {
    confidence: leader && participating > 0 ? leader.weight / participating : 0,
    participation: { byWeight: participating / totalWeight, byCount: voterCount / input.participants.length },
    tally,
    rejected,
  };

  const final = input.deadlinePassed || waitingCount === 0;
  // At the end, what was not cast never will be.
  const stillPossible = final ? 0 : uncast;
  const notReached = (reason: NotReachedReason): ConsensusOutcome => ({ status: 'not_reached', reason, ...base });

  if (final && tally.length === 0) return notReached(input.deadlinePassed ? 'timeout' : 'no_quorum');
  if (input.algorithm === 'unanimous' && tally.length > 1) return notReached('not_unanimous');
  if (participating + stillPossible < quorum * totalWeight - EPSILON) return notReached('no_quorum');

  const quorumMet = participating >= quorum * totalWeight - EPSILON;
  if (quorumMet && leader && wins(input.algorithm, leader.weight, participating + stillPossible, threshold, final)) {
    return { status: 'decided', value: leader.value, ...base };
  }
  if (!final) return { status: 'pending', ...base };
  if (tally.length > 1 && Math.abs(tally[0].weight - tally[1].weight) <= EPSILON) return notReached('tie');
  return notReached(input.algorithm === 'unanimous' ? 'not_unanimous' : 'threshold_not_met');
}

/**
 * Whether the leading value wins even if all the weight still possible goes against it:
 * `largestBase` is the participating weight if every remaining agent voted for something else.
 */
function wins(algorithm: ConsensusAlgorithm, leaderWeight: number, largestBase: number, threshold: number, final: boolean): boolean {
  switch (algorithm) {
    case 'majority':
    case 'weighted':
    case 'delegated':
      return leaderWeight > largestBase / 2 + EPSILON;
    case 'super_majority':
      return leaderWeight >= threshold * largestBase - EPSILON;
    case 'unanimous':
      // Any agent still to vote could disagree, even one without weight: wait for all.
      return final;
  }
}

interface AcceptedVote {
  key: string;
  value: unknown;
}

/** The earliest valid vote of each participant; later and invalid ones are reported, not counted. */
function acceptVotes(input: ConsensusInput, delegations: Delegation[]) {
  const participants = new Set(input.participants);
  const options = input.options === undefined ? undefined : optionKeys(input.options);
  const accepted = new Map<string, AcceptedVote>();
  const rejected: RejectedVote[] = [];
  const byCastTime = input.votes.map((vote, index) => ({ vote, index })).sort((a, b) => a.vote.castAt - b.vote.castAt || a.index - b.index);

  for (const { vote } of byCastTime) {
    if (!participants.has(vote.agentId)) {
      rejected.push({ vote, reason: 'not_participant', message: `agent ${vote.agentId} is not a participant of the proposal` });
    } else if (bindingDelegate(vote.agentId, delegations, participants) !== undefined) {
      rejected.push({ vote, reason: 'delegated', message: `agent ${vote.agentId} delegated its vote and cannot also vote` });
    } else if (accepted.has(vote.agentId)) {
      rejected.push({ vote, reason: 'already_voted', message: `agent ${vote.agentId} has already voted` });
    } else {
      const check = checkValue(vote.value, options);
      if (check.accepted) accepted.set(vote.agentId, { key: canonicalJson(vote.value), value: vote.value });
      else rejected.push({ vote, reason: check.reason, message: check.message });
    }
  }
  return { accepted, rejected };
}

function validateInput(input: ConsensusInput, quorum: number, threshold: number): void {
  if (input.participants.length === 0) throw new ValidationFailed('a proposal needs at least one participant');
  if (input.participants.some((id) => typeof id !== 'string' || id.length === 0)) throw new ValidationFailed('participant ids must be non-empty strings');
  if (new Set(input.participants).size !== input.participants.length) throw new ValidationFailed('a participant is listed twice');
  if (!Number.isFinite(quorum) || quorum < 0 || quorum > 1) throw new ValidationFailed(`quorum must be in [0, 1], got ${quorum}`);
  if (input.algorithm === 'super_majority' && (!Number.isFinite(threshold) || threshold <= 0.5 || threshold > 1)) {
    throw new ValidationFailed(`a super majority threshold must be in (0.5, 1], got ${threshold}`);
  }
  if (input.options !== undefined && input.options.length === 0) throw new ValidationFailed('options, when given, must not be empty');
}

function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

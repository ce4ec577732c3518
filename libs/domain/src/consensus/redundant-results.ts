import { ValidationFailed } from '../errors/domain-error';
import { ConsensusOutcome, NotReachedReason, Vote } from './consensus.types';
import { tallyVotes } from './tally';

export interface RedundantResult {
  agentId: string;
  result: unknown;
}

/** 'exact': whole results equal as canonical JSON; 'field': result at a dotted path ('output.label', 'items.0.id') equal. */
export type ResultMatch = { kind: 'exact' } | { kind: 'field'; field: string };

export interface RedundantConsensusOptions {
  match: ResultMatch;
  /** Default 'majority'. 'delegated' makes no sense here: results cannot be delegated. */
  algorithm?: 'majority' | 'super_majority' | 'unanimous' | 'weighted';
  /** super_majority share, see ConsensusInput.threshold. */
  threshold?: number;
  weights?: Readonly<Record<string, number>>;
  successRates?: Readonly<Record<string, number>>;
  /** Default 0.5 of the agents that ran the task. */
  quorum?: number;
  /**
   * Agents the task was given to. Defaults to those that reported, i.e. every result is in;
   * when given, missing agents are still to report and the outcome may be pending.
   */
  assignedAgents?: string[];
  deadlinePassed?: boolean;
}

export interface ResultGroup {
  /** What the group agreed on: the whole result, or the matched field's value. */
  matched: unknown;
  /** The result of the group's first reporting agent. */
  result: unknown;
  agentIds: string[];
  weight: number;
}

export interface RedundantConsensus {
  reached: boolean;
  status: ConsensusOutcome['status'];
  reason?: NotReachedReason;
  /** The winning group's representative result; undefined unless reached. */
  result?: unknown;
  /** Heaviest first. */
  groups: ResultGroup[];
  confidence: number;
  /** Agents whose result lacked the matched field: they count as not having voted. */
  unmatched: string[];
}

/**
 * Decides a task run redundantly on several agents by voting their results through tallyVotes:
 * each agent votes for what it produced. An agent reporting twice counts once (its first
 * report); a result without the matched field is a vote for nothing rather than a group of its
 * own, so two broken results never "agree".
 */
export function decideRedundantResults(results: RedundantResult[], options: RedundantConsensusOptions): RedundantConsensus {
  if (options.match.kind === 'field' && options.match.field.trim() === '') throw new ValidationFailed('the matched field must be a non-empty dotted path');
  const firstByAgent = new Map<string, unknown>();
  for (const { agentId, result } of results) if (!firstByAgent.has(agentId)) firstByAgent.set(agentId, result);

  const participants = options.assignedAgents ?? [...firstByAgent.keys()];
  if (participants.length === 0) throw new ValidationFailed('no agent ran the task');

  const unmatched: string[] = [];
  const votes: Vote[] = [];
  let order = 0;
  for (const [agentId, result] of firstByAgent) {
    const matched = matchedPart(result, options.match);
    if (matched.found) votes.push({ agentId, value: matched.value, castAt: order++ });
    else unmatched.push(agentId);
  }

  const outcome = tallyVotes({
    algorithm: options.algorithm ?? 'majority',
    participants,
    votes,
    quorum: options.quorum,
    threshold: options.threshold,
    weights: options.weights,
    successRates: options.successRates,
    // Every assigned agent reported: a result that could not be matched will not improve.
    deadlinePassed: options.deadlinePassed ?? participants.every((id) => firstByAgent.has(id)),
  });

  const groups = outcome.tally.map(
    (entry): ResultGroup => ({
      matched: entry.value,
      result: firstByAgent.get(votes.find((v) => entry.voters.includes(v.agentId))!.agentId),
      agentIds: entry.voters,
      weight: entry.weight,
    }),
  );
  const reached = outcome.status === 'decided';
  return {
    reached,
    status: outcome.status,
    reason: outcome.reason,
    result: reached ? groups[0].result : undefined,
    groups,
    confidence: outcome.confidence,
    unmatched: unmatched.sort(),
  };
}

/** Own properties only, so 'constructor' or 'toString' never match by accident. */
export function valueAtPath(value: unknown, path: string): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) return { found: false };
    current = (current as Record<string, unknown>)[segment];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

function matchedPart(result: unknown, match: ResultMatch): { found: true; value: unknown } | { found: false } {
  if (match.kind === 'exact') return result === undefined ? { found: false } : { found: true, value: result };
  return valueAtPath(result, match.field);
}

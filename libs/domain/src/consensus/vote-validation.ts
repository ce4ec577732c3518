import { Conflict, DomainError, Forbidden, ValidationFailed } from '../errors/domain-error';
import { canonicalJson } from './canonical-json';
import { Delegation, VoteRejection } from './consensus.types';

export interface VoteContext {
  participants: string[];
  /** Votes already accepted on the proposal. */
  acceptedVotes: ReadonlyArray<{ agentId: string }>;
  options?: unknown[];
  /** Deadline passed or outcome already final. */
  closed: boolean;
  /** Pass only for 'delegated' proposals: a delegating agent has given its vote away. */
  delegations?: Delegation[];
}

export type VoteCheck = { accepted: true } | { accepted: false; reason: VoteRejection; message: string };

/**
 * Whether a new vote may be recorded. Checks run from the proposal down to the value, so an
 * outsider voting on a closed proposal hears "closed", not a complaint about its value.
 */
export function checkVote(context: VoteContext, vote: { agentId: string; value: unknown }): VoteCheck {
  if (context.closed) return reject('proposal_closed', 'the proposal is closed: its deadline passed or its outcome is final');
  const participants = new Set(context.participants);
  if (!participants.has(vote.agentId)) return reject('not_participant', `agent ${vote.agentId} is not a participant of the proposal`);
  const delegate = bindingDelegate(vote.agentId, context.delegations ?? [], participants);
  if (delegate !== undefined) return reject('delegated', `agent ${vote.agentId} delegated its vote to ${delegate} and cannot also vote`);
  if (context.acceptedVotes.some((v) => v.agentId === vote.agentId)) return reject('already_voted', `agent ${vote.agentId} has already voted`);
  return checkValue(vote.value, context.options === undefined ? undefined : optionKeys(context.options));
}

/** checkVote as an error, for use-cases: the code says whether the caller or the state is at fault. */
export function assertVoteAccepted(context: VoteContext, vote: { agentId: string; value: unknown }): void {
  const check = checkVote(context, vote);
  if (!check.accepted) throw rejectionError(check.reason, check.message);
}

/** The value part of checkVote; optionKeys are the options' canonical JSON. */
export function checkValue(value: unknown, optionKeys: ReadonlySet<string> | undefined): VoteCheck {
  let key: string;
  try {
    key = canonicalJson(value);
  } catch (error) {
    return reject('invalid_value', `the vote's value is not JSON-serialisable: ${(error as Error).message}`);
  }
  if (optionKeys !== undefined && !optionKeys.has(key)) return reject('not_an_option', `${truncate(key)} is not one of the proposal's options`);
  return { accepted: true };
}

export function optionKeys(options: unknown[]): Set<string> {
  return new Set(options.map((option) => canonicalJson(option)));
}

/**
 * The first delegation listed for the agent, if it points at another participant: delegating
 * to an outsider is ignored (the agent keeps its vote). Delegating to oneself is a cycle of
 * one and, like every cycle, costs the vote.
 */
export function bindingDelegate(agentId: string, delegations: Delegation[], participants: ReadonlySet<string>): string | undefined {
  const delegation = delegations.find((d) => d.from === agentId);
  return delegation && participants.has(delegation.to) ? delegation.to : undefined;
}

function rejectionError(reason: VoteRejection, message: string): DomainError {
  switch (reason) {
    case 'not_participant':
      return new Forbidden(message);
    case 'already_voted':
    case 'delegated':
    case 'proposal_closed':
      return new Conflict(message, { reason });
    case 'not_an_option':
    case 'invalid_value':
      return new ValidationFailed(message, { reason });
  }
}

function reject(reason: VoteRejection, message: string): VoteCheck {
  return { accepted: false, reason, message };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

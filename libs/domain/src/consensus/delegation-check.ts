import { VoteCheck, VoteContext } from './vote-validation';

/**
 * Whether `from` may give its vote to `to` (delegated proposals). Delegating is an agent's one
 * action on the proposal, like voting: one that voted or delegated already cannot. Only
 * participants can be delegated to, and never oneself (that would only cost the vote). Chains
 * and cycles are allowed here: the tally resolves them.
 */
export function checkDelegation(context: VoteContext, delegation: { from: string; to: string }): VoteCheck {
  if (context.closed) return reject('proposal_closed', 'the proposal is closed: its deadline passed or its outcome is final');
  const participants = new Set(context.participants);
  if (!participants.has(delegation.from)) return reject('not_participant', `agent ${delegation.from} is not a participant of the proposal`);
  const earlier = context.delegations?.find((d) => d.from === delegation.from);
  if (earlier) return reject('delegated', `agent ${delegation.from} already delegated its vote to ${earlier.to}`);
  if (context.acceptedVotes.some((v) => v.agentId === delegation.from)) return reject('already_voted', `agent ${delegation.from} has already voted`);
  if (delegation.to === delegation.from) return reject('invalid_value', 'an agent cannot delegate its vote to itself');
  if (!participants.has(delegation.to)) return reject('invalid_value', `agent ${delegation.to} is not a participant: a vote can only be delegated to one`);
  return { accepted: true };
}

function reject(reason: Exclude<VoteCheck, { accepted: true }>['reason'], message: string): VoteCheck {
  return { accepted: false, reason, message };
}

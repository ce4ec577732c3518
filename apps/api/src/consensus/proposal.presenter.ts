import type { ConsensusVoteView, ProposalView, TallyView } from '@swarm/contracts';
import type { ProposalRow, VoteRow } from '@swarm/db';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function presentProposal(proposal: ProposalRow, details?: { votes: VoteRow[]; tally: TallyView }): ProposalView {
  const view: ProposalView = {
    id: proposal.id,
    swarm_id: proposal.swarmId,
    question: proposal.question,
    options: proposal.options,
    algorithm: proposal.algorithm,
    threshold: proposal.threshold,
    quorum: proposal.quorum,
    weights: proposal.weights,
    success_rates: proposal.successRates,
    participants: proposal.participants,
    status: proposal.status,
    decided_value: proposal.status === 'decided' ? proposal.decidedValue : null,
    outcome_reason: proposal.outcomeReason,
    confidence: proposal.confidence,
    participation: proposal.participation,
    deadline_at: proposal.deadlineAt.toISOString(),
    created_at: proposal.createdAt.toISOString(),
    decided_at: iso(proposal.decidedAt),
  };
  if (details) {
    view.votes = details.votes.map(presentVote);
    view.tally = details.tally;
  }
  return view;
}

export function presentVote(vote: VoteRow): ConsensusVoteView {
  return {
    agent_id: vote.agentId,
    value: vote.delegateAgentId === null ? vote.value : null,
    weight: vote.weight,
    delegate_agent_id: vote.delegateAgentId,
    cast_at: vote.castAt.toISOString(),
  };
}

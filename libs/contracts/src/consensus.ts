/**
 * The consensus part of the /agents socket contract: the server asks participants to vote
 * (`consensus.request`), they answer (`consensus.vote`, acknowledged), and hear the outcome
 * (`consensus.closed`). Kept free of imports, like agent-socket.ts, so agent programs can load it.
 */

export const CONSENSUS_ALGORITHM_NAMES = ['majority', 'super_majority', 'unanimous', 'weighted', 'delegated'] as const;
export type ConsensusAlgorithmName = (typeof CONSENSUS_ALGORITHM_NAMES)[number];

/** Server → each participant: a proposal to vote on. */
export interface ConsensusRequestPayload {
  proposal_id: string;
  swarm_id: string;
  question: string;
  /** The values that may be voted for; null when any JSON value may be. */
  options: unknown[] | null;
  algorithm: ConsensusAlgorithmName;
  /** ISO 8601: votes after this are refused and the proposal is closed on what was cast. */
  deadline_at: string;
  /** Only on delegated proposals: the agent may give its vote to another participant instead. */
  delegation_allowed: boolean;
  /** Every agent asked, so a delegating agent knows whom it may delegate to. */
  participants: string[];
}

/** Agent → server: a vote (`value`) or, on a delegated proposal, a delegation (`delegate_to`); exactly one of them. */
export interface ConsensusVotePayload {
  proposal_id: string;
  value?: unknown;
  delegate_to?: string;
}

/** The vote was recorded; `status` is the proposal's right after it (decided at once when this vote settled it). */
export interface ConsensusVoteAck {
  proposal_id: string;
  agent_id: string;
  status: 'open' | 'decided' | 'not_reached' | 'cancelled';
  cast_at: string;
}

/** Server → each participant: the proposal is over. */
export interface ConsensusClosedPayload {
  proposal_id: string;
  swarm_id: string;
  status: 'decided' | 'not_reached' | 'cancelled';
  /** The decided value; null unless decided. */
  value: unknown;
  /** timeout, no_quorum, tie, threshold_not_met, not_unanimous or cancelled; null when decided. */
  reason: string | null;
  confidence: number;
}

/** Why a consensus.vote was refused, as the ack's error code. */
export const CONSENSUS_VOTE_REJECTIONS = ['not_participant', 'already_voted', 'not_an_option', 'invalid_value', 'delegated', 'proposal_closed'] as const;
export type ConsensusVoteRejection = (typeof CONSENSUS_VOTE_REJECTIONS)[number];

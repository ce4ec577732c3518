export const CONSENSUS_ALGORITHMS = ['majority', 'super_majority', 'unanimous', 'weighted', 'delegated'] as const;
export type ConsensusAlgorithm = (typeof CONSENSUS_ALGORITHMS)[number];

export type ConsensusStatus = 'decided' | 'pending' | 'not_reached';
export type NotReachedReason = 'timeout' | 'no_quorum' | 'tie' | 'threshold_not_met' | 'not_unanimous';

/** Share of participants' weight that must take part before anything is decided. */
export const DEFAULT_QUORUM = 0.5;
/** super_majority default: two thirds, so 2 of 3 agents is enough (0.67 would not be). */
export const DEFAULT_SUPER_MAJORITY = 2 / 3;

export interface Vote {
  agentId: string;
  /** A string or any JSON-serialisable value; compared by canonical JSON. */
  value: unknown;
  /** Epoch ms; when an agent voted twice, the earliest vote is the one that counts. */
  castAt: number;
}

/** `from` gives its vote to `to` instead of voting. Binding: a delegating agent cannot also vote. */
export interface Delegation {
  from: string;
  to: string;
}

export interface ConsensusInput {
  algorithm: ConsensusAlgorithm;
  /** Agent ids; listed twice is invalid. */
  participants: string[];
  votes: Vote[];
  /** Only used by 'delegated'. */
  delegations?: Delegation[];
  /** When given, a vote for a value not among them is invalid (ignored by the tally). */
  options?: unknown[];
  /** Minimum share (0..1) of the participants' weight that voted; DEFAULT_QUORUM when omitted. */
  quorum?: number;
  /** super_majority only: share in (0.5, 1]; DEFAULT_SUPER_MAJORITY when omitted. */
  threshold?: number;
  /** Explicit weights (>= 0) for 'weighted' and 'delegated'; wins over successRates. */
  weights?: Readonly<Record<string, number>>;
  /** Measured success rates in [0, 1], turned into weights by learnedWeight when no explicit weight is given. */
  successRates?: Readonly<Record<string, number>>;
  deadlinePassed: boolean;
}

export interface TallyEntry {
  value: unknown;
  /** Canonical JSON of value: the identity votes are grouped by. */
  key: string;
  weight: number;
  /** Agents whose weight is behind the value: direct voters and those delegating to them, sorted. */
  voters: string[];
}

export type VoteRejection = 'not_participant' | 'already_voted' | 'not_an_option' | 'invalid_value' | 'delegated' | 'proposal_closed';

export interface RejectedVote {
  vote: Vote;
  reason: VoteRejection;
  message: string;
}

export interface Participation {
  /** Weight that voted (directly or through a delegate) over all participants' weight. */
  byWeight: number;
  /** Same, counting agents. */
  byCount: number;
}

export interface ConsensusOutcome {
  status: ConsensusStatus;
  /** The decided value; undefined unless status is 'decided'. */
  value?: unknown;
  /** Set when status is 'not_reached'. */
  reason?: NotReachedReason;
  /** Share of participating weight behind the decided value, or the leading one; 0 without votes. */
  confidence: number;
  participation: Participation;
  /** Heaviest first, then by key. */
  tally: TallyEntry[];
  /** Votes the tally ignored, and why. */
  rejected: RejectedVote[];
}

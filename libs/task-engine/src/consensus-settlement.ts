import { Injectable, Logger } from '@nestjs/common';
import type { ConsensusClosedPayload } from '@swarm/contracts';
import { ConsensusEventEntry, ConsensusRepository, ProposalRow, RawSql, Sql, StoredConsensusEvent, VoteRow } from '@swarm/db';
import { ConsensusInput, ConsensusOutcome, tallyVotes } from '@swarm/domain';
import { AgentSocketCommands, SwarmEventBroadcaster } from '@swarm/messaging';

/** Swarm event types of a proposal's life, as operators see them on /events and in the history. */
export const ConsensusEventType = {
  Proposed: 'consensus.proposed',
  VoteCast: 'consensus.vote_cast',
  Decided: 'consensus.decided',
  NotReached: 'consensus.not_reached',
  Cancelled: 'consensus.cancelled',
} as const;

/** How much the deadline sweep closes per run; the next run takes the rest. */
const OVERDUE_BATCH = 200;
/** Closed proposals remembered per process, to refuse late votes without a query. */
const CLOSED_MEMORY = 10_000;

/** The stored proposal and its votes as the domain's tally input. Delegations are votes without a value. */
export function consensusInputOf(proposal: ProposalRow, votes: VoteRow[], deadlinePassed: boolean): ConsensusInput {
  return {
    algorithm: proposal.algorithm,
    participants: proposal.participants,
    votes: votes.filter((v) => v.delegateAgentId === null).map((v) => ({ agentId: v.agentId, value: v.value, castAt: v.castAt.getTime() })),
    delegations: votes.filter((v) => v.delegateAgentId !== null).map((v) => ({ from: v.agentId, to: v.delegateAgentId! })),
    options: proposal.options ?? undefined,
    quorum: proposal.quorum ?? undefined,
    threshold: proposal.threshold ?? undefined,
    weights: proposal.weights ?? undefined,
    successRates: proposal.successRates ?? undefined,
    deadlinePassed,
  };
}

/** A tally in the API's snake_case shape: what events carry, what is stored at the close, what GET shows. */
export function presentTally(outcome: ConsensusOutcome) {
  return {
    status: outcome.status,
    entries: outcome.tally.map((e) => ({ value: e.value, weight: e.weight, voters: e.voters })),
    participation: { by_weight: outcome.participation.byWeight, by_count: outcome.participation.byCount },
    confidence: outcome.confidence,
    rejected: outcome.rejected.map((r) => ({ agent_id: r.vote.agentId, reason: r.reason, message: r.message })),
  };
}

/** What a vote or a close wrote that operators and agents must hear about, sent only once it is committed. */
export class ConsensusEffects {
  readonly events: StoredConsensusEvent[] = [];
  readonly closed: Array<{ participants: string[]; payload: ConsensusClosedPayload }> = [];
}

export interface SettleOptions {
  deadlinePassed: boolean;
  now: Date;
  /** The `vote_cast` events of the votes just recorded, stored with the outcome. */
  castEvents?: ConsensusEventEntry[];
  /** Without the row lock: the votes_version `votes` were read at; a close only lands on it. */
  expectedVersion?: number;
}

/** A vote to record: the row, and the id it gets. */
export interface VoteToRecord {
  cast: VoteRow;
  voteId: string;
}

/** What became of one vote of a batch: recorded (and the proposal's status after the batch), or not, and whether because the proposal is closed. */
export type VoteRecordOutcome = { recorded: true; status: ProposalStatusAfterVote } | { recorded: false; closed: boolean };

export type ProposalStatusAfterVote = 'open' | 'decided' | 'not_reached' | 'cancelled';

export interface Settled {
  outcome: ConsensusOutcome;
  /** This call closed the proposal. */
  closed: boolean;
  /** Settled on an expected votes_version that was not current: nothing was written. */
  raced?: boolean;
}

/**
 * The one place where proposals are tallied and closed, shared by the api (after votes, on
 * cancel) and the worker (at the deadline). A close either holds the proposal's row lock and
 * tallies the votes read under it, or is guarded on the votes_version its tally read; it is
 * always guarded on status = 'open'. So of two processes only one ever closes a proposal, and
 * no vote recorded before the close is left out of its tally.
 */
@Injectable()
export class ConsensusSettlement {
  private readonly logger = new Logger(ConsensusSettlement.name);
  /** Proposals this process closed after a vote, and how (most recent CLOSED_MEMORY). */
  private readonly closedHere = new Map<string, 'decided' | 'not_reached'>();
  /**
   * Votes this process has seen recorded per open proposal: a hint of whether the next votes
   * settle it. Never trusted for the outcome, only to pick when to record.
   */
  private readonly seen = new Map<string, Map<string, VoteRow>>();

  constructor(
    private readonly sql: Sql,
    private readonly proposals: ConsensusRepository,
    private readonly sockets: AgentSocketCommands,
    private readonly broadcaster: SwarmEventBroadcaster,
  ) {}

  /**
   * Tallies `votes`; a final outcome (decided, or not reachable any more) closes the proposal.
   * Under the proposal's row lock, or without it given the votes_version `votes` were read at.
   */
  async settle(tx: RawSql, proposal: ProposalRow, votes: VoteRow[], options: SettleOptions, effects: ConsensusEffects): Promise<Settled> {
    const outcome = tallyVotes(consensusInputOf(proposal, votes, options.deadlinePassed));
    const tally = presentTally(outcome);
    const castEvents = options.castEvents ?? [];
    if (outcome.status !== 'pending' && proposal.status === 'open') {
      const status = outcome.status;
      const closedEvent: ConsensusEventEntry = {
        swarmId: proposal.swarmId,
        ownerId: proposal.ownerId,
        type: status === 'decided' ? ConsensusEventType.Decided : ConsensusEventType.NotReached,
        agentId: null,
        data: {
          proposal_id: proposal.id,
          ...(status === 'decided' ? { value: outcome.value } : { reason: outcome.reason }),
          confidence: outcome.confidence,
          decision_ms: options.now.getTime() - proposal.createdAt.getTime(),
          tally,
        },
      };
      const closing = {
        status,
        decidedValue: status === 'decided' ? outcome.value : undefined,
        outcomeReason: outcome.reason ?? null,
        confidence: outcome.confidence,
        participation: outcome.participation.byWeight,
        tally,
        decidedAt: options.now,
      };
      const stored = await this.proposals.close(tx, proposal.id, closing, [...castEvents, closedEvent], options.expectedVersion);
      if (stored) {
        effects.events.push(...stored);
        effects.closed.push({ participants: proposal.participants, payload: closedPayload(proposal, status, outcome.value, outcome.reason ?? null, outcome.confidence) });
        return { outcome, closed: true };
      }
      if (options.expectedVersion !== undefined) return { outcome, closed: false, raced: true };
    }
    effects.events.push(...(await this.proposals.appendEvents(tx, castEvents)));
    return { outcome, closed: false };
  }

  /**
   * Whether `votes`, with those this process has seen recorded, would settle the proposal: a
   * hint for when to record a batch of votes, never trusted for the outcome.
   */
  wouldSettle(proposal: ProposalRow, votes: VoteRow[]): boolean {
    if (this.closedHere.has(proposal.id)) return true;
    const known = new Map(this.seen.get(proposal.id));
    for (const vote of votes) if (!known.has(vote.agentId)) known.set(vote.agentId, vote);
    return tallyVotes(consensusInputOf(proposal, [...known.values()], false)).status !== 'pending';
  }

  /**
   * Records votes of one proposal and settles it. The votes are recorded (an agent's first
   * ballot only) and every vote read back in one statement; each new one gets its `vote_cast`
   * event with the tally it led to, and a final outcome closes the proposal in a second
   * statement, guarded on the votes_version the tally saw. Either statement finding that other
   * votes came in between (another batch, another process) falls back to settling under the
   * proposal's row lock on a fresh read. So no recorded vote is left out of the tally that
   * closes the proposal, and only one close ever lands. One outcome per vote, in order.
   */
  async recordVotes(proposal: ProposalRow, votes: VoteToRecord[]): Promise<VoteRecordOutcome[]> {
    if (this.closedHere.has(proposal.id)) return votes.map(() => ({ recorded: false, closed: true }));
    const firstPerAgent = new Map<string, VoteToRecord>();
    for (const vote of votes) if (!firstPerAgent.has(vote.cast.agentId)) firstPerAgent.set(vote.cast.agentId, vote);
    const recorded = await this.proposals.recordVotes(proposal.id, [...firstPerAgent.values()]);
    // Gone (its swarm deleted) or closed: nothing recorded; the caller says why.
    if (recorded.state !== 'open') return votes.map(() => ({ recorded: false, closed: recorded.state === 'closed' }));

    const fresh = new Set(recorded.votes.filter((v) => v.fresh).map((v) => v.agentId));
    const effects = new ConsensusEffects();
    let status: ProposalStatusAfterVote | null = null;
    if (recorded.complete) {
      const all = recorded.votes.map(({ fresh: _fresh, ...vote }) => vote);
      this.remember(proposal.id, all);
      const settled = await this.settle(this.sql.direct, proposal, all, { deadlinePassed: false, now: new Date(), castEvents: castEventsOf(proposal, recorded.votes), expectedVersion: recorded.version }, effects);
      if (!settled.raced) status = settled.closed ? (settled.outcome.status as 'decided' | 'not_reached') : 'open';
    }
    status ??= await this.settleUnderLock(proposal, fresh, effects);
    if (status === 'decided' || status === 'not_reached') this.markClosed(proposal.id, status);
    this.apply(effects);
    return votes.map((vote): VoteRecordOutcome => {
      if (firstPerAgent.get(vote.cast.agentId) === vote && fresh.has(vote.cast.agentId)) return { recorded: true, status: status! };
      return { recorded: false, closed: false };
    });
  }

  /** Votes `fresh` were recorded but other votes came at the same time: tallies them all under the row lock, on a fresh read. */
  private async settleUnderLock(proposal: ProposalRow, fresh: Set<string>, effects: ConsensusEffects): Promise<ProposalStatusAfterVote> {
    return this.sql.transaction(async (tx) => {
      const locked = await this.proposals.lock(tx, proposal.id);
      // Deleted with its swarm meanwhile: its votes went with it.
      if (!locked) return 'open';
      const votes = (await this.proposals.listVotes(proposal.id, tx)).map((vote) => ({ ...vote, fresh: fresh.has(vote.agentId) }));
      const castEvents = castEventsOf(proposal, votes);
      if (locked.status !== 'open') {
        // Closed by another process after these votes were committed: its tally counted them.
        effects.events.push(...(await this.proposals.appendEvents(tx, castEvents)));
        return locked.status;
      }
      const all = votes.map(({ fresh: _fresh, ...vote }) => vote);
      this.remember(proposal.id, all);
      const settled = await this.settle(tx, locked, all, { deadlinePassed: false, now: new Date(), castEvents }, effects);
      return settled.closed ? (settled.outcome.status as 'decided' | 'not_reached') : 'open';
    });
  }

  private remember(proposalId: string, votes: VoteRow[]): void {
    let seen = this.seen.get(proposalId);
    if (!seen) {
      seen = new Map();
      this.seen.set(proposalId, seen);
      if (this.seen.size > CLOSED_MEMORY) this.seen.delete(this.seen.keys().next().value!);
    }
    for (const vote of votes) seen.set(vote.agentId, vote);
  }

  private markClosed(proposalId: string, status: 'decided' | 'not_reached'): void {
    this.closedHere.set(proposalId, status);
    this.seen.delete(proposalId);
    if (this.closedHere.size > CLOSED_MEMORY) this.closedHere.delete(this.closedHere.keys().next().value!);
  }

  /** Whether this process closed the proposal after a vote: later votes can be refused without a query. */
  closedAfterVote(proposalId: string): boolean {
    return this.closedHere.has(proposalId);
  }

  /** Under the proposal's lock (the caller checked it is open): cancels it, keeping its votes as its tally. */
  async cancel(tx: RawSql, proposal: ProposalRow, votes: VoteRow[], now: Date, effects: ConsensusEffects): Promise<boolean> {
    const outcome = tallyVotes(consensusInputOf(proposal, votes, false));
    const tally = presentTally(outcome);
    const event = { swarmId: proposal.swarmId, ownerId: proposal.ownerId, type: ConsensusEventType.Cancelled, agentId: null, data: { proposal_id: proposal.id, tally } };
    const closing = { status: 'cancelled' as const, decidedValue: undefined, outcomeReason: 'cancelled', confidence: outcome.confidence, participation: outcome.participation.byWeight, tally, decidedAt: now };
    const stored = await this.proposals.close(tx, proposal.id, closing, [event]);
    if (!stored) return false;
    effects.events.push(...stored);
    effects.closed.push({ participants: proposal.participants, payload: closedPayload(proposal, 'cancelled', undefined, 'cancelled', outcome.confidence) });
    return true;
  }

  /** The deadline passed: closes the proposal on the votes cast, if nobody closed it yet. */
  async closeAtDeadline(proposalId: string, now = new Date()): Promise<boolean> {
    const effects = new ConsensusEffects();
    const closed = await this.sql.transaction(async (tx) => {
      const proposal = await this.proposals.lock(tx, proposalId);
      // Early (clock skew between processes): the sweep comes back for it.
      if (!proposal || proposal.status !== 'open' || proposal.deadlineAt > now) return false;
      const votes = await this.proposals.listVotes(proposalId, tx);
      return (await this.settle(tx, proposal, votes, { deadlinePassed: true, now }, effects)).closed;
    });
    this.apply(effects);
    return closed;
  }

  /** Safety net behind the delayed jobs: every open proposal past its deadline. Returns how many it closed. */
  async closeOverdue(now = new Date()): Promise<number> {
    let closed = 0;
    for (const id of await this.proposals.overdue(now, OVERDUE_BATCH)) {
      try {
        if (await this.closeAtDeadline(id, now)) closed += 1;
      } catch (error) {
        this.logger.error({ err: error, proposalId: id }, 'could not close an overdue proposal; retried at the next sweep');
      }
    }
    if (closed > 0) this.logger.log({ closed }, 'closed overdue proposals');
    return closed;
  }

  /** After commit: operators get the events, participants the outcome. Best effort: the rows are the record. */
  apply(effects: ConsensusEffects): void {
    this.broadcaster.broadcast(effects.events);
    for (const { participants, payload } of effects.closed) {
      try {
        this.sockets.consensusClosed(participants, payload);
      } catch (error) {
        this.logger.warn({ err: error, proposalId: payload.proposal_id }, 'could not tell the participants the outcome');
      }
    }
  }
}

/** A `vote_cast` event per fresh vote of `rows` (every vote, in the order cast), each with the tally of the votes up to it. */
export function castEventsOf(proposal: ProposalRow, rows: Array<VoteRow & { fresh: boolean }>): ConsensusEventEntry[] {
  const events: ConsensusEventEntry[] = [];
  rows.forEach((row, index) => {
    if (!row.fresh) return;
    const upToHere = rows.slice(0, index + 1);
    events.push(voteCastEvent(proposal, row, upToHere.length, presentTally(tallyVotes(consensusInputOf(proposal, upToHere, false)))));
  });
  return events;
}

function voteCastEvent(proposal: ProposalRow, cast: VoteRow, votesCast: number, tally: ReturnType<typeof presentTally>): ConsensusEventEntry {
  const ballot = cast.delegateAgentId === null ? { value: cast.value } : { delegate_to: cast.delegateAgentId };
  return {
    swarmId: proposal.swarmId,
    ownerId: proposal.ownerId,
    type: ConsensusEventType.VoteCast,
    agentId: cast.agentId,
    data: { proposal_id: proposal.id, ...ballot, weight: cast.weight, votes_cast: votesCast, tally },
  };
}

function closedPayload(proposal: ProposalRow, status: ConsensusClosedPayload['status'], value: unknown, reason: string | null, confidence: number): ConsensusClosedPayload {
  return { proposal_id: proposal.id, swarm_id: proposal.swarmId, status, value: status === 'decided' ? value : null, reason, confidence };
}

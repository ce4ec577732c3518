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
  /** The vote just recorded, announced with the tally it leads to. */
  cast?: VoteRow;
}

export type ProposalStatusAfterVote = 'open' | 'decided' | 'not_reached' | 'cancelled';

export interface Settled {
  outcome: ConsensusOutcome;
  /** This call closed the proposal. */
  closed: boolean;
}

/**
 * The one place where proposals are tallied and closed, shared by the api (after each vote, on
 * cancel) and the worker (at the deadline). A close holds the proposal's row lock, tallies the
 * votes read under it and is still guarded on status = 'open', so of two processes only one
 * ever closes a proposal, and no vote recorded before the close is left out of its tally.
 */
@Injectable()
export class ConsensusSettlement {
  private readonly logger = new Logger(ConsensusSettlement.name);
  /** Closes under way in this process, by proposal: the votes behind the deciding one wait for it instead of queueing on the lock. */
  private readonly closing = new Map<string, Promise<unknown>>();
  /** Proposals this process closed after a vote, and how (most recent CLOSED_MEMORY). */
  private readonly closedHere = new Map<string, 'decided' | 'not_reached'>();
  /**
   * Votes this process has seen per open proposal (listed, or being recorded here): a hint of
   * whether the next vote settles it. Never trusted for the outcome, only to pick the path.
   */
  private readonly seen = new Map<string, Map<string, VoteRow>>();

  constructor(
    private readonly sql: Sql,
    private readonly proposals: ConsensusRepository,
    private readonly sockets: AgentSocketCommands,
    private readonly broadcaster: SwarmEventBroadcaster,
  ) {}

  /** Under the proposal's lock: tallies `votes`; a final outcome (decided, or not reachable any more) closes it. */
  async settle(tx: RawSql, proposal: ProposalRow, votes: VoteRow[], options: SettleOptions, effects: ConsensusEffects): Promise<Settled> {
    const outcome = tallyVotes(consensusInputOf(proposal, votes, options.deadlinePassed));
    const tally = presentTally(outcome);
    const castEvents: ConsensusEventEntry[] = options.cast ? [voteCastEvent(proposal, options.cast, votes.length, tally)] : [];
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
      const stored = await this.proposals.close(tx, proposal.id, closing, [...castEvents, closedEvent]);
      if (stored) {
        effects.events.push(...stored);
        effects.closed.push({ participants: proposal.participants, payload: closedPayload(proposal, status, outcome.value, outcome.reason ?? null, outcome.confidence) });
        return { outcome, closed: true };
      }
    }
    effects.events.push(...(await this.proposals.appendEvents(tx, castEvents)));
    return { outcome, closed: false };
  }

  /**
   * Records a vote and settles the proposal. A vote that, by what this process has seen, would
   * settle it is recorded under the proposal's row lock, tallied and closed in the same
   * transaction: one commit on the deciding path instead of two. Any other vote is recorded on
   * its own (share lock only, so votes run in parallel) and tallied after its commit. Returns
   * recorded false when the vote was not stored (closed, past the deadline, the agent's other
   * ballot first): the caller explains why.
   */
  async record(proposal: ProposalRow, cast: VoteRow, voteId: string, now: Date): Promise<{ recorded: false } | { recorded: true; status: ProposalStatusAfterVote }> {
    const seen = this.seenVotes(proposal.id);
    seen.set(cast.agentId, cast);
    const predicted = tallyVotes(consensusInputOf(proposal, [...seen.values()], false)).status !== 'pending';
    if (predicted) return this.recordAndSettle(proposal, cast, voteId, now);
    if (!(await this.proposals.insertVoteIfOpen(proposal.id, cast, voteId, now))) return { recorded: false };
    return { recorded: true, status: await this.afterVote(proposal, cast) };
  }

  private async recordAndSettle(proposal: ProposalRow, cast: VoteRow, voteId: string, now: Date): Promise<{ recorded: false } | { recorded: true; status: ProposalStatusAfterVote }> {
    const effects = new ConsensusEffects();
    const answer = await this.sql.transaction(async (tx): Promise<{ recorded: false } | { recorded: true; status: ProposalStatusAfterVote }> => {
      const locked = await this.proposals.lock(tx, proposal.id);
      if (!locked || locked.status !== 'open' || locked.deadlineAt <= now) return { recorded: false };
      const { inserted, votes } = await this.proposals.insertVoteAndList(tx, proposal.id, cast, voteId);
      if (!inserted) return { recorded: false };
      this.remember(proposal.id, votes);
      // Every later vote waits for this lock and then sees this one: no tally after commit needed.
      const settled = await this.settle(tx, locked, votes, { deadlinePassed: false, now: new Date(), cast }, effects);
      return { recorded: true, status: settled.closed ? (settled.outcome.status as 'decided' | 'not_reached') : 'open' };
    });
    if (answer.recorded && answer.status !== 'open') this.markClosed(proposal.id, answer.status as 'decided' | 'not_reached');
    this.apply(effects);
    return answer;
  }

  private seenVotes(proposalId: string): Map<string, VoteRow> {
    let seen = this.seen.get(proposalId);
    if (!seen) {
      seen = new Map();
      this.seen.set(proposalId, seen);
      if (this.seen.size > CLOSED_MEMORY) this.seen.delete(this.seen.keys().next().value!);
    }
    return seen;
  }

  private remember(proposalId: string, votes: VoteRow[]): void {
    const seen = this.seenVotes(proposalId);
    for (const vote of votes) seen.set(vote.agentId, vote);
  }

  private markClosed(proposalId: string, status: 'decided' | 'not_reached'): void {
    this.closedHere.set(proposalId, status);
    this.seen.delete(proposalId);
    if (this.closedHere.size > CLOSED_MEMORY) this.closedHere.delete(this.closedHere.keys().next().value!);
  }

  /**
   * After a vote was recorded (committed): tallies every vote committed so far. Votes of one
   * proposal are recorded in parallel; each tallies after its own commit, so the last one to
   * commit sees them all, and a final outcome is closed under the row lock on a fresh read.
   * Returns the proposal's status once this vote is accounted for.
   */
  async afterVote(proposal: ProposalRow, cast: VoteRow): Promise<ProposalStatusAfterVote> {
    const effects = new ConsensusEffects();
    const votes = await this.proposals.listVotes(proposal.id);
    this.remember(proposal.id, votes);
    const outcome = tallyVotes(consensusInputOf(proposal, votes, false));
    let status: ProposalStatusAfterVote = 'open';
    if (outcome.status === 'pending') {
      effects.events.push(...(await this.proposals.appendEvents(this.sql.direct, [voteCastEvent(proposal, cast, votes.length, presentTally(outcome))])));
    } else {
      await this.closing.get(proposal.id)?.catch(() => undefined);
      const closedBefore = this.closedHere.get(proposal.id);
      if (closedBefore) {
        // Closed here by another vote. Every recorded vote committed before that close took the
        // lock (a vote after it would have found the proposal closed), so this one is in its tally.
        effects.events.push(...(await this.proposals.appendEvents(this.sql.direct, [voteCastEvent(proposal, cast, votes.length, presentTally(outcome))])));
        status = closedBefore;
      } else {
        const close = this.closeAfterVote(proposal, cast, effects);
        this.closing.set(proposal.id, close);
        try {
          status = await close;
        } finally {
          if (this.closing.get(proposal.id) === close) this.closing.delete(proposal.id);
        }
      }
    }
    this.apply(effects);
    return status;
  }

  /** Whether this process closed the proposal after a vote: later votes can be refused without a query. */
  closedAfterVote(proposalId: string): boolean {
    return this.closedHere.has(proposalId);
  }

  private async closeAfterVote(proposal: ProposalRow, cast: VoteRow, effects: ConsensusEffects): Promise<ProposalStatusAfterVote> {
    const status = await this.sql.transaction(async (tx) => {
      const locked = (await this.proposals.lock(tx, proposal.id))!;
      const fresh = await this.proposals.listVotes(proposal.id, tx);
      const settled = await this.settle(tx, locked, fresh, { deadlinePassed: false, now: new Date(), cast }, effects);
      if (locked.status !== 'open') return locked.status;
      return settled.closed ? (settled.outcome.status as 'decided' | 'not_reached') : 'open';
    });
    if (status === 'decided' || status === 'not_reached') this.markClosed(proposal.id, status);
    return status;
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

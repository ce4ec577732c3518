import { Injectable } from '@nestjs/common';
import type { AckResponse, ConsensusVoteAck } from '@swarm/contracts';
import { ConsensusRepository, ProposalRow, VoteRow } from '@swarm/db';
import { checkDelegation, checkVote, resolveWeights, VoteCheck, VoteContext } from '@swarm/domain';
import { consensusInputOf, ConsensusSettlement, VoteRecordOutcome, VoteToRecord } from '@swarm/task-engine';
import { KeyedBatches } from '../../common/keyed-batches';
import { ProposalCache } from '../proposal-cache';
import { v7 as uuidv7 } from 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VOTE_FIELDS = new Set(['proposal_id', 'value', 'delegate_to']);

/** A consensus.vote payload once checked: a vote for a value, or a delegation. */
export type Ballot = { proposalId: string; kind: 'vote'; value: unknown } | { proposalId: string; kind: 'delegation'; delegateTo: string };

type Answer = AckResponse<ConsensusVoteAck>;

interface PendingVote {
  terms: ProposalRow;
  vote: VoteToRecord;
}

/**
 * How long a vote that does not settle its proposal may wait for others to share its
 * transaction. Agents asked together answer within a few ms of each other; the vote that
 * settles the proposal does not wait at all.
 */
const VOTE_GATHER_MS = 10;
const VOTE_BATCH_MAX = 1_000;

/**
 * Records an agent's vote (or delegation) and re-tallies: the proposal closes on the votes that
 * settle it. A vote is checked against the proposal's fixed terms (participants, options), then
 * recorded with the other votes of its proposal that arrived with it, in one transaction
 * (ConsensusSettlement.recordVotes). Votes wait for company up to VOTE_GATHER_MS, except when
 * those waiting (with the votes already recorded) would settle the proposal: then they go at
 * once. Ten agents answering together cost two or three transactions, not ten.
 */
@Injectable()
export class CastVote {
  private readonly batches: KeyedBatches<PendingVote, VoteRecordOutcome>;

  constructor(
    private readonly proposals: ConsensusRepository,
    private readonly cache: ProposalCache,
    private readonly settlement: ConsensusSettlement,
  ) {
    this.batches = new KeyedBatches(
      async (_proposalId, pending) => (await this.settlement.recordVotes(pending[0].terms, pending.map((p) => p.vote))).map((value) => ({ value })),
      VOTE_BATCH_MAX,
      {
        idleMs: VOTE_GATHER_MS,
        maxMs: VOTE_GATHER_MS,
        enough: (_proposalId, pending) => this.settlement.wouldSettle(pending[0].terms, pending.map((p) => p.vote.cast)),
      },
    );
  }

  async execute(agentId: string, ownerId: string, payload: unknown): Promise<Answer> {
    const ballot = readBallot(payload);
    if (!ballot.ok) return { ok: false, error: { code: 'validation_failed', message: ballot.message } };
    const { proposalId } = ballot.value;
    // Another owner's proposal is as absent as a missing one.
    const terms = await this.cache.get(ownerId, proposalId);
    if (!terms) return notFound(proposalId);
    const now = new Date();
    // Closed by a vote through this process: said at once (closed comes before every other refusal).
    if (this.settlement.closedAfterVote(proposalId)) return closedAnswer();
    const rejection = refusal({ ...terms, status: 'open', votes: [] }, agentId, ballot.value, now);
    if (rejection && rejection.ok === false && rejection.error.code !== 'proposal_closed') return rejection;

    const weight = resolveWeights(consensusInputOf(terms, [], false)).get(agentId) ?? 1;
    const cast: VoteRow =
      ballot.value.kind === 'vote'
        ? { agentId, value: ballot.value.value, weight, delegateAgentId: null, castAt: now }
        : { agentId, value: null, weight, delegateAgentId: ballot.value.delegateTo.toLowerCase(), castAt: now };
    const recorded: VoteRecordOutcome = rejection ? { recorded: false, closed: false } : await this.batches.submit(proposalId, { terms, vote: { cast, voteId: uuidv7() } });
    if (!recorded.recorded && recorded.closed) return closedAnswer();
    // Not recorded: past the deadline, or this agent's other vote or delegation landed first.
    if (!recorded.recorded) return this.explainRefusal(ownerId, proposalId, agentId, ballot.value, now);
    return { ok: true, data: { proposal_id: proposalId, agent_id: agentId, status: recorded.status, cast_at: now.toISOString() } };
  }

  /** Nothing was recorded: why, from the row as it is now. A proposal past its deadline is closed on the way. */
  private async explainRefusal(ownerId: string, proposalId: string, agentId: string, ballot: Ballot, now: Date): Promise<Answer> {
    const current = await this.proposals.findForOwner(ownerId, proposalId);
    if (!current) return notFound(proposalId);
    if (current.status === 'open' && current.deadlineAt <= now) await this.settlement.closeAtDeadline(proposalId, now);
    return refusal(current, agentId, ballot, now) ?? closedAnswer();
  }
}

function notFound(proposalId: string): Answer {
  return { ok: false, error: { code: 'not_found', message: `proposal ${proposalId} was not found` } };
}

/** Why the ballot cannot be recorded on the proposal as read, or null when it can. */
function refusal(proposal: ProposalRow, agentId: string, ballot: Ballot, now: Date): Answer | null {
  const votes = proposal.votes;
  const context: VoteContext = {
    participants: proposal.participants,
    acceptedVotes: votes,
    options: proposal.options ?? undefined,
    closed: proposal.status !== 'open' || proposal.deadlineAt <= now,
    delegations: proposal.algorithm === 'delegated' ? delegationsOf(votes) : undefined,
  };
  const check = checkBallot(context, agentId, ballot, proposal.algorithm === 'delegated');
  return check.accepted ? null : { ok: false, error: { code: check.reason, message: check.message } };
}

function closedAnswer(): Answer {
  return { ok: false, error: { code: 'proposal_closed', message: 'the proposal is closed: its deadline passed or its outcome is final' } };
}

function delegationsOf(votes: VoteRow[]) {
  return votes.filter((v) => v.delegateAgentId !== null).map((v) => ({ from: v.agentId, to: v.delegateAgentId! }));
}

function checkBallot(context: VoteContext, agentId: string, ballot: Ballot, delegationAllowed: boolean): VoteCheck {
  if (ballot.kind === 'vote') return checkVote(context, { agentId, value: ballot.value });
  if (!delegationAllowed && !context.closed) return { accepted: false, reason: 'invalid_value', message: 'votes can only be delegated on delegated proposals' };
  return checkDelegation(context, { from: agentId, to: ballot.delegateTo.toLowerCase() });
}

/** {proposal_id, value} or {proposal_id, delegate_to}; unknown fields refused, as everywhere. */
export function readBallot(payload: unknown): { ok: true; value: Ballot } | { ok: false; message: string } {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { ok: false, message: 'payload must be a JSON object' };
  const fields = payload as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !VOTE_FIELDS.has(key));
  if (unknown.length > 0) return { ok: false, message: unknown.map((key) => `property ${key} should not exist`).join('; ') };
  const proposalId = fields.proposal_id;
  if (typeof proposalId !== 'string' || !UUID.test(proposalId)) return { ok: false, message: 'proposal_id must be a UUID' };
  const hasValue = 'value' in fields && fields.value !== undefined;
  const hasDelegate = 'delegate_to' in fields && fields.delegate_to !== undefined;
  if (hasValue === hasDelegate) return { ok: false, message: 'give exactly one of value (a vote) or delegate_to (an agent id)' };
  if (hasValue) return { ok: true, value: { proposalId: proposalId.toLowerCase(), kind: 'vote', value: fields.value } };
  const delegateTo = fields.delegate_to;
  if (typeof delegateTo !== 'string' || !UUID.test(delegateTo)) return { ok: false, message: 'delegate_to must be an agent id (UUID)' };
  return { ok: true, value: { proposalId: proposalId.toLowerCase(), kind: 'delegation', delegateTo } };
}

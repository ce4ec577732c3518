import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { CONSENSUS_LIMITS, type CreateProposalDto } from '@swarm/contracts';
import { ConsensusRepository, NewProposal, ProposalRow } from '@swarm/db';
import { canonicalJson, Conflict, NotFound, tallyVotes, ValidationFailed } from '@swarm/domain';
import { AgentSocketCommands, ConsensusCloseJobData, ConsensusDeadlineJobs, consensusJobIds, Queues, SwarmEventBroadcaster } from '@swarm/messaging';
import { consensusInputOf, ConsensusEventType, ConsensusSettlement } from '@swarm/task-engine';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { ProposalCache } from '../proposal-cache';

/** Agents that answer requests: the others would only hold the proposal until its deadline. */
const HEALTHY_AGENT_STATUSES = new Set(['idle', 'busy']);
const WEIGHTED_ALGORITHMS = new Set(['weighted', 'delegated']);
/**
 * Most proposals are decided within milliseconds of being asked: the durable close job (a
 * Redis round trip and a script) is only added for those still open this long after. Should
 * this process stop before then, the worker's sweep of overdue proposals (every second) closes
 * the proposal at its deadline instead.
 */
const DEADLINE_JOB_AFTER_MS = 100;

/**
 * Opens a proposal: checks it against the swarm (participants, weights), stores it with a
 * `consensus.proposed` event, asks every participant to vote, and, unless it is decided at
 * once, schedules its close at the deadline in the worker.
 */
@Injectable()
export class CreateProposal {
  private readonly logger = new Logger(CreateProposal.name);

  constructor(
    private readonly proposals: ConsensusRepository,
    private readonly cache: ProposalCache,
    private readonly sockets: AgentSocketCommands,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly settlement: ConsensusSettlement,
    @InjectQueue(Queues.ConsensusDeadlines) private readonly deadlines: Queue<ConsensusCloseJobData>,
  ) {}

  async execute(actor: Actor, dto: CreateProposalDto): Promise<ProposalRow> {
    const ownerId = actor.principal.ownerId;
    const now = new Date();
    checkShape(dto);
    const deadlineAt = deadlineOf(dto, now);

    const swarm = await this.proposals.swarmMembers(ownerId, dto.swarm_id);
    if (!swarm) throw new NotFound('swarm', dto.swarm_id);
    if (swarm.status === 'terminated') throw new Conflict(`swarm ${dto.swarm_id} is terminated and holds no votes`);
    const participants = dto.participants ? checkParticipants(dto.participants, swarm.members, dto.swarm_id) : healthyMembers(swarm.members, dto.swarm_id);
    if (dto.weights) {
      const strangers = Object.keys(dto.weights).filter((id) => !participants.includes(id));
      if (strangers.length > 0) throw new ValidationFailed(`weights name agents that are not participants: ${strangers.join(', ')}`);
    }
    // Learnt once, now: the tally must not move as the agents' task record changes later.
    const successRates = dto.algorithm === 'weighted' && !dto.weights ? await this.proposals.successRates(participants) : null;

    const proposal: NewProposal = {
      id: uuidv7(),
      ownerId,
      swarmId: dto.swarm_id,
      question: dto.question,
      options: dto.options ?? null,
      algorithm: dto.algorithm,
      threshold: dto.threshold ?? null,
      quorum: dto.quorum ?? null,
      weights: dto.weights ?? null,
      successRates,
      participants,
      deadlineAt,
      createdAt: now,
    };
    const stored: ProposalRow = {
      ...proposal,
      status: 'open',
      decidedValue: null,
      outcomeReason: null,
      confidence: null,
      participation: null,
      tally: null,
      decidedAt: null,
      votes: [],
    };
    // The tally's own checks (threshold range, weights that sum to nothing...) before anything is stored.
    tallyVotes(consensusInputOf(stored, [], false));

    const event = await this.proposals.insertProposal(proposal, {
      swarmId: proposal.swarmId,
      ownerId,
      type: ConsensusEventType.Proposed,
      agentId: null,
      data: { proposal_id: proposal.id, question: proposal.question, algorithm: proposal.algorithm, participants, deadline_at: deadlineAt.toISOString() },
    });

    this.cache.remember(stored);
    // The agents first: every millisecond here is one the decision waits.
    this.sockets.requestConsensus(participants, {
      proposal_id: proposal.id,
      swarm_id: proposal.swarmId,
      question: proposal.question,
      options: proposal.options,
      algorithm: proposal.algorithm,
      deadline_at: deadlineAt.toISOString(),
      delegation_allowed: proposal.algorithm === 'delegated',
      participants,
    });
    this.broadcaster.broadcast([event]);
    setTimeout(() => {
      if (!this.settlement.closedAfterVote(proposal.id)) void this.scheduleClose(proposal.id, deadlineAt);
    }, DEADLINE_JOB_AFTER_MS).unref();
    return stored;
  }

  private async scheduleClose(proposalId: string, deadlineAt: Date): Promise<void> {
    try {
      const delay = Math.max(0, deadlineAt.getTime() - Date.now());
      await this.deadlines.add(ConsensusDeadlineJobs.Close, { proposalId }, { jobId: consensusJobIds.close(proposalId), delay, removeOnComplete: true, removeOnFail: 1_000, attempts: 3, backoff: { type: 'exponential', delay: 500 } });
    } catch (error) {
      // Stored and open: the worker's sweep of overdue proposals closes it, a little later.
      this.logger.warn({ err: error, proposalId }, 'could not schedule the proposal deadline; the overdue sweep will close it');
    }
  }
}

/** Combinations class-validator cannot express, with messages naming the fields. */
function checkShape(dto: CreateProposalDto): void {
  const problems: string[] = [];
  if (dto.threshold !== undefined && dto.algorithm !== 'super_majority') problems.push('threshold applies to super_majority proposals only');
  if (dto.threshold !== undefined && (dto.threshold <= 0.5 || dto.threshold > 1)) problems.push(`threshold must be in (0.5, 1], got ${dto.threshold}`);
  if (dto.weights !== undefined) {
    if (!WEIGHTED_ALGORITHMS.has(dto.algorithm)) problems.push('weights apply to weighted and delegated proposals only');
    for (const [agentId, weight] of Object.entries(dto.weights)) {
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) problems.push(`weights.${agentId} must be a number >= 0`);
    }
  }
  if (dto.deadline_ms !== undefined && dto.deadline !== undefined) problems.push('give deadline_ms or deadline, not both');
  if (dto.options) {
    const seen = new Map<string, number>();
    dto.options.forEach((option, index) => {
      const key = canonicalJson(option);
      const first = seen.get(key);
      if (first !== undefined) problems.push(`options[${index}] repeats options[${first}]`);
      else seen.set(key, index);
    });
  }
  if (dto.participants) {
    const duplicates = [...new Set(dto.participants.filter((id, i) => dto.participants!.indexOf(id) !== i))];
    if (duplicates.length > 0) problems.push(`participants lists agents twice: ${duplicates.join(', ')}`);
  }
  if (problems.length > 0) throw new ValidationFailed(problems.join('; '), problems);
}

function deadlineOf(dto: CreateProposalDto, now: Date): Date {
  if (dto.deadline === undefined) return new Date(now.getTime() + (dto.deadline_ms ?? CONSENSUS_LIMITS.deadlineMs.default));
  const at = new Date(dto.deadline);
  const inMs = at.getTime() - now.getTime();
  if (inMs < CONSENSUS_LIMITS.deadlineMs.min || inMs > CONSENSUS_LIMITS.deadlineMs.max) {
    throw new ValidationFailed(`deadline must be between ${CONSENSUS_LIMITS.deadlineMs.min} ms and ${CONSENSUS_LIMITS.deadlineMs.max} ms from now`);
  }
  return at;
}

function checkParticipants(requested: string[], members: Array<{ agentId: string }>, swarmId: string): string[] {
  const memberIds = new Set(members.map((m) => m.agentId));
  const ids = requested.map((id) => id.toLowerCase());
  const strangers = ids.filter((id) => !memberIds.has(id));
  if (strangers.length > 0) throw new ValidationFailed(`participants are not active members of swarm ${swarmId}: ${strangers.join(', ')}`, strangers);
  return ids;
}

function healthyMembers(members: Array<{ agentId: string; agentStatus: string }>, swarmId: string): string[] {
  const healthy = members.filter((m) => HEALTHY_AGENT_STATUSES.has(m.agentStatus)).map((m) => m.agentId);
  if (healthy.length === 0) {
    throw new Conflict(`swarm ${swarmId} has no healthy (idle or busy) agent to vote; connect agents or name participants`);
  }
  return healthy;
}

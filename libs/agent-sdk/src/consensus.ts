import type { AckError, AckResponse, ConsensusClosedPayload, ConsensusRequestPayload, ConsensusVoteAck, ConsensusVotePayload } from './contract';
import type { AgentLogger } from './logger';

/** A proposal the coordinator asks this agent to vote on. */
export interface ConsensusRequest {
  proposalId: string;
  swarmId: string;
  question: string;
  /** The values that may be voted for; null when any JSON value may be. */
  options: unknown[] | null;
  algorithm: ConsensusRequestPayload['algorithm'];
  deadlineAt: Date;
  /** Delegated proposals only: answer delegateTo(agentId) to give the vote to another participant. */
  delegationAllowed: boolean;
  participants: string[];
  /** Aborted when the proposal closes (decided, not reached, cancelled) or its deadline passes. */
  signal: AbortSignal;
}

/** Returned by a consensus handler to give the vote to another participant instead of voting. */
export class ConsensusDelegation {
  constructor(readonly agentId: string) {}
}

export function delegateTo(agentId: string): ConsensusDelegation {
  return new ConsensusDelegation(agentId);
}

/**
 * Answers a proposal: a value (any JSON) to vote for, delegateTo(agentId) to delegate, or
 * undefined to abstain.
 */
export type ConsensusHandler = (request: ConsensusRequest) => unknown | Promise<unknown>;

export interface ConsensusVoted {
  proposalId: string;
  /** What was sent: the value, or the agent the vote was given to. */
  ballot: { value: unknown } | { delegateTo: string };
  /** The proposal right after the vote: decided or not_reached when this vote settled it. */
  status: ConsensusVoteAck['status'];
}

export interface ConsensusVoteRejected {
  proposalId: string;
  error: AckError;
}

export interface ConsensusClosed {
  proposalId: string;
  swarmId: string;
  status: ConsensusClosedPayload['status'];
  value: unknown;
  reason: string | null;
  confidence: number;
}

export type VoteSender = (payload: ConsensusVotePayload) => Promise<AckResponse<ConsensusVoteAck>> | 'offline';

export interface ConsensusResponderOptions {
  send: VoteSender;
  logger: AgentLogger;
  onVoted: (voted: ConsensusVoted) => void;
  onRejected: (rejected: ConsensusVoteRejected) => void;
  onClosed: (closed: ConsensusClosed) => void;
  /** Between sends of a vote that got no answer (timeout, connection down). */
  retryDelayMs?: number;
}

/** Proposal ids remembered against a second copy of a request; old ones are forgotten first. */
const REMEMBERED_PROPOSALS = 1_000;
const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * Runs the program's consensus handler for each consensus.request and delivers its answer as
 * consensus.vote. A vote that gets no answer is sent again until the deadline; `already_voted`
 * after such a resend means an earlier copy arrived, so it counts as accepted.
 */
export class ConsensusResponder {
  handler: ConsensusHandler | undefined;
  private readonly open = new Map<string, AbortController>();
  private readonly seen = new Set<string>();
  private readonly retryDelayMs: number;

  constructor(private readonly options: ConsensusResponderOptions) {
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  }

  onRequest(raw: unknown): void {
    const request = readRequest(raw);
    if (!request) {
      this.options.logger.warn({}, 'ignored a consensus.request without proposal_id and deadline_at');
      return;
    }
    const handler = this.handler;
    if (!handler) {
      this.options.logger.debug({ proposal_id: request.proposal_id }, 'consensus.request without a consensus handler; not voting');
      return;
    }
    if (this.seen.has(request.proposal_id)) return;
    this.remember(request.proposal_id);
    const deadlineAt = new Date(request.deadline_at);
    const controller = new AbortController();
    this.open.set(request.proposal_id, controller);
    const timer = setTimeout(() => controller.abort(new Error('the proposal deadline passed')), Math.max(0, deadlineAt.getTime() - Date.now()));
    timer.unref?.();
    controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    void this.answer(handler, {
      proposalId: request.proposal_id,
      swarmId: request.swarm_id,
      question: request.question,
      options: request.options,
      algorithm: request.algorithm,
      deadlineAt,
      delegationAllowed: request.delegation_allowed === true,
      participants: Array.isArray(request.participants) ? request.participants : [],
      signal: controller.signal,
    }).finally(() => {
      if (this.open.get(request.proposal_id) === controller) this.open.delete(request.proposal_id);
    });
  }

  onClosed(raw: unknown): void {
    const closed = raw as Partial<ConsensusClosedPayload> | null;
    if (!closed || typeof closed.proposal_id !== 'string') return;
    this.open.get(closed.proposal_id)?.abort(new Error(`the proposal is ${closed.status}`));
    this.open.delete(closed.proposal_id);
    this.options.onClosed({
      proposalId: closed.proposal_id,
      swarmId: closed.swarm_id ?? '',
      status: closed.status ?? 'cancelled',
      value: closed.value ?? null,
      reason: closed.reason ?? null,
      confidence: closed.confidence ?? 0,
    });
  }

  /** Aborts every handler still deciding (the client is stopping). */
  abortAll(reason: Error): void {
    for (const controller of this.open.values()) controller.abort(reason);
    this.open.clear();
  }

  private async answer(handler: ConsensusHandler, request: ConsensusRequest): Promise<void> {
    const fields = { proposal_id: request.proposalId };
    let answer: unknown;
    try {
      answer = await handler(request);
    } catch (error) {
      this.options.logger.warn({ ...fields, error: String((error as Error)?.message ?? error) }, 'the consensus handler failed; not voting');
      return;
    }
    if (answer === undefined || request.signal.aborted) return;
    const payload: ConsensusVotePayload =
      answer instanceof ConsensusDelegation ? { proposal_id: request.proposalId, delegate_to: answer.agentId } : { proposal_id: request.proposalId, value: answer };
    const ballot = answer instanceof ConsensusDelegation ? { delegateTo: answer.agentId } : { value: answer };
    let resent = false;
    while (!request.signal.aborted) {
      const sent = this.options.send(payload);
      let response: AckResponse<ConsensusVoteAck> | undefined;
      if (sent !== 'offline') {
        try {
          response = await sent;
        } catch {
          response = undefined; // no answer in time: send again
        }
      }
      if (response?.ok) return this.options.onVoted({ proposalId: request.proposalId, ballot, status: response.data.status });
      if (response && resent && response.error.code === 'already_voted') return this.options.onVoted({ proposalId: request.proposalId, ballot, status: 'open' });
      if (response && !['rate_limited', 'internal', 'not_registered'].includes(response.error.code)) {
        this.options.logger.warn({ ...fields, code: response.error.code, error: response.error.message }, 'the coordinator refused the vote');
        return this.options.onRejected({ proposalId: request.proposalId, error: response.error });
      }
      resent = true;
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    }
  }

  private remember(proposalId: string): void {
    this.seen.add(proposalId);
    if (this.seen.size > REMEMBERED_PROPOSALS) this.seen.delete(this.seen.values().next().value!);
  }
}

function readRequest(raw: unknown): ConsensusRequestPayload | undefined {
  const request = raw as Partial<ConsensusRequestPayload> | null;
  if (!request || typeof request.proposal_id !== 'string' || typeof request.deadline_at !== 'string' || Number.isNaN(Date.parse(request.deadline_at))) return undefined;
  return request as ConsensusRequestPayload;
}

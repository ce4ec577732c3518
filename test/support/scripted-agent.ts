import type { ConsensusClosedPayload, ConsensusRequestPayload, ConsensusVoteAck, TaskAssignPayload, TaskCancelPayload } from '@swarm/contracts';
import { AgentClientSocket, connectAgent, request } from './sockets';

export type ScriptedBehaviour =
  | { kind: 'result'; delayMs?: number; result?: unknown }
  | { kind: 'fail'; delayMs?: number; error?: string; retryable?: boolean }
  /** Acknowledges and then never answers. */
  | { kind: 'hang' }
  /** Does not even acknowledge. */
  | { kind: 'ignore' };

/**
 * A test agent speaking the raw socket protocol, so tests control every report: when it acks,
 * what it answers, whether it answers at all. Records what it was sent.
 */
export class ScriptedAgent {
  readonly assignments: TaskAssignPayload[] = [];
  /** Sizes of the task.assign.batch messages received (only when connected with batches). */
  readonly batchSizes: number[] = [];
  readonly cancels: TaskCancelPayload[] = [];
  readonly reportAnswers: Array<{ event: string; taskId: string; ok: boolean; code?: string }> = [];
  readonly consensusRequests: ConsensusRequestPayload[] = [];
  readonly consensusClosed: ConsensusClosedPayload[] = [];
  running = 0;
  maxRunning = 0;
  private beat?: NodeJS.Timeout;

  private constructor(
    readonly socket: AgentClientSocket,
    private readonly behave: (task: TaskAssignPayload) => ScriptedBehaviour,
  ) {}

  /** `batches`: registers with accepts_task_batches, so a pass's assignments may arrive as one task.assign.batch. */
  static async connect(
    baseUrl: string,
    token: string,
    behave: (task: TaskAssignPayload) => ScriptedBehaviour = () => ({ kind: 'result' }),
    options: { batches?: boolean } = {},
  ): Promise<ScriptedAgent> {
    const socket = await connectAgent(baseUrl, token);
    const agent = new ScriptedAgent(socket, behave);
    socket.on('task.assign', (task) => void agent.onAssign(task));
    socket.on('task.assign.batch', ({ tasks }) => {
      agent.batchSizes.push(tasks.length);
      for (const task of tasks) void agent.onAssign(task);
    });
    socket.on('task.cancel', (cancel) => agent.cancels.push(cancel));
    socket.on('consensus.request', (proposal) => agent.consensusRequests.push(proposal));
    socket.on('consensus.closed', (closed) => agent.consensusClosed.push(closed));
    const registered = await request(socket, 'agent.register', options.batches ? { accepts_task_batches: true } : {});
    if (!registered.ok) throw new Error(`register failed: ${JSON.stringify(registered)}`);
    agent.beat = setInterval(() => void request(socket, 'agent.heartbeat', { status: agent.running > 0 ? 'busy' : 'idle' }).catch(() => undefined), 200);
    return agent;
  }

  completedIds(): string[] {
    return this.reportAnswers.filter((a) => a.event === 'task.result' && a.ok).map((a) => a.taskId);
  }

  async report(event: 'task.ack' | 'task.result' | 'task.fail' | 'task.progress', payload: { task_id: string } & Record<string, unknown>) {
    const answer = await request<{ task_id: string }>(this.socket, event, payload);
    this.reportAnswers.push({ event, taskId: payload.task_id, ok: answer.ok, code: answer.ok ? undefined : answer.error.code });
    return answer;
  }

  /** consensus.vote: {proposal_id, value} or {proposal_id, delegate_to}, answered by the server's ack. */
  vote(payload: Record<string, unknown>) {
    return request<ConsensusVoteAck>(this.socket, 'consensus.vote', payload);
  }

  private async onAssign(task: TaskAssignPayload): Promise<void> {
    this.assignments.push(task);
    const behaviour = this.behave(task);
    if (behaviour.kind === 'ignore') return;
    const base = { task_id: task.task_id, fencing_token: task.fencing_token };
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.report('task.ack', base);
      if (behaviour.kind === 'hang') return;
      if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      if (behaviour.kind === 'result') await this.report('task.result', { ...base, result: behaviour.result ?? { echo: task.payload } });
      else await this.report('task.fail', { ...base, error: behaviour.error ?? 'scripted failure', retryable: behaviour.retryable ?? true });
    } catch {
      // The socket closed under the test: that is what some tests do.
    } finally {
      if (behaviour.kind !== 'hang') this.running--;
    }
  }

  close(): void {
    clearInterval(this.beat);
    this.socket.close();
  }
}

import { EventEmitter } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  AGENTS_NAMESPACE,
  type AckError,
  type AckResponse,
  type AgentClientToServerEvents,
  type AgentServerToClientEvents,
  type ConsensusClosedPayload,
  type ConsensusRequestPayload,
  type ConsensusVoteAck,
  type ConsensusVotePayload,
  type HeartbeatPayload,
  type RegisteredInfo,
  type RegisterPayload,
  type TaskAssignPayload,
  type TaskCancelPayload,
  type TaskReportAck,
  type TaskReportBase,
  type TaskReportBatchAck,
  type TaskReportBatchPayload,
} from '../contract';

type AgentServer = Server<AgentClientToServerEvents, AgentServerToClientEvents>;
export type TestAgentSocket = Socket<AgentClientToServerEvents, AgentServerToClientEvents>;

export interface ReceivedRegistration {
  socket: TestAgentSocket;
  payload: RegisterPayload;
}

export interface ReceivedHeartbeat {
  socket: TestAgentSocket;
  payload: HeartbeatPayload;
  /** performance.now() when the server received it. */
  receivedAt: number;
}

export type ReportEvent = 'task.ack' | 'task.progress' | 'task.result' | 'task.fail';

/** A consensus.vote as the server received it, with what it answered ('no-answer': the ack was never sent). */
export interface ReceivedVote {
  socket: TestAgentSocket;
  payload: ConsensusVotePayload;
  answer: AckResponse<ConsensusVoteAck> | 'no-answer';
}

/** A task report as the server received it; `payload` holds the event's fields (result, error, percent...). */
export interface ReceivedReport {
  socket: TestAgentSocket;
  event: ReportEvent;
  payload: TaskReportBase & Record<string, unknown>;
  /** performance.now() when the server received it. */
  receivedAt: number;
  /** What the server answered (set before the 'report' event fires). */
  answer: ReportAnswer;
}

/** How the server answers a report: acknowledged, never answered (a lost ack), or refused with this error. */
export type ReportAnswer = 'ok' | 'no-answer' | AckError;

interface TestCoordinatorEvents {
  connection: [socket: TestAgentSocket];
  register: [registration: ReceivedRegistration];
  heartbeat: [heartbeat: ReceivedHeartbeat];
  report: [report: ReceivedReport];
  vote: [vote: ReceivedVote];
  disconnect: [socket: TestAgentSocket, reason: string];
}

export interface TestCoordinatorOptions {
  /** Tokens the handshake accepts; any other is refused with "invalid agent token". */
  tokens: string[];
  heartbeatIntervalMs?: number;
}

/**
 * A minimal in-process coordinator speaking the /agents contract over a real socket.io
 * server on 127.0.0.1 and a free port: handshake token check, agent.register, agent.heartbeat
 * and task report acks (answers chosen by the test), and helpers to push task.assign /
 * task.cancel / agent.stop / agent.error or drop the connection.
 * For testing agent programs without the real service; not part of the SDK's public API.
 * Behaviour switches are plain fields, so a test can change them mid-run.
 */
export class TestCoordinator extends EventEmitter<TestCoordinatorEvents> {
  readonly tokens: Set<string>;
  heartbeatIntervalMs: number;
  /** When set, agent.register is answered with this error. */
  registrationError: AckError | undefined;
  /** When false, heartbeats are received but never acknowledged. */
  answerHeartbeats = true;
  /** Decides the answer to each task report; acknowledges everything by default. */
  answerReport: (report: Omit<ReceivedReport, 'answer'>) => ReportAnswer = () => 'ok';
  readonly registrations: ReceivedRegistration[] = [];
  /** How many reports each task.report.batch carried, in arrival order. */
  readonly reportBatchSizes: number[] = [];
  readonly heartbeats: ReceivedHeartbeat[] = [];
  readonly reports: ReceivedReport[] = [];
  readonly votes: ReceivedVote[] = [];
  /** Decides the answer to each consensus.vote; accepts everything (proposal still open) by default. */
  answerVote: (vote: Omit<ReceivedVote, 'answer'>) => AckResponse<ConsensusVoteAck> | 'no-answer' = ({ payload }) => ({
    ok: true,
    data: { proposal_id: payload.proposal_id, agent_id: this.agentId, status: 'open', cast_at: new Date().toISOString() },
  });
  readonly agentId = '0190b6a0-0000-7000-8000-000000000001';

  /** Numbers the proposals requestConsensus() makes up. */
  private lastProposal = 0;

  /** Fencing tokens handed out by assign(), growing like the real counter. */
  private lastFencingToken = 0;

  private readonly registeredSockets = new WeakSet<TestAgentSocket>();

  private constructor(
    private readonly http: HttpServer,
    private readonly io: AgentServer,
    readonly url: string,
    options: TestCoordinatorOptions,
  ) {
    super();
    this.tokens = new Set(options.tokens);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
    this.attach();
  }

  static async start(options: TestCoordinatorOptions): Promise<TestCoordinator> {
    const http = createServer();
    const io: AgentServer = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return new TestCoordinator(http, io, `http://127.0.0.1:${port}`, options);
  }

  /** Sockets currently connected to /agents. */
  connectedSockets(): TestAgentSocket[] {
    return [...this.io.of(AGENTS_NAMESPACE).sockets.values()];
  }

  /** Resolves with the next `event` matching `accept`; rejects after `timeoutMs` naming what it waited for. */
  next<E extends keyof TestCoordinatorEvents>(
    event: E,
    accept: (...args: TestCoordinatorEvents[E]) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<TestCoordinatorEvents[E]> {
    return new Promise((resolve, reject) => {
      const listener = (...args: TestCoordinatorEvents[E]): void => {
        if (!accept(...args)) return;
        clearTimeout(timer);
        this.off(event, listener as never);
        resolve(args);
      };
      const timer = setTimeout(() => {
        this.off(event, listener as never);
        reject(new Error(`test coordinator: no "${String(event)}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on(event, listener as never);
    });
  }

  async close(): Promise<void> {
    this.io.of(AGENTS_NAMESPACE).disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.http.closeAllConnections();
  }

  private attach(): void {
    const agents = this.io.of(AGENTS_NAMESPACE);
    agents.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      if (typeof token === 'string' && this.tokens.has(token)) next();
      else next(new Error('invalid agent token'));
    });
    agents.on('connection', (socket) => {
      this.emit('connection', socket);
      socket.on('disconnect', (reason) => this.emit('disconnect', socket, reason));
      socket.on('agent.register', (payload, ack) => {
        const registration = { socket, payload };
        this.registrations.push(registration);
        ack(this.registerAnswer(socket, payload));
        this.emit('register', registration);
      });
      for (const event of ['task.ack', 'task.progress', 'task.result', 'task.fail'] as const) {
        socket.on(event, (payload: TaskReportBase, ack: (response: AckResponse<TaskReportAck>) => void) => {
          this.onReport(socket, event, payload, ack);
        });
      }
      socket.on('task.report.batch', (payload, ack) => this.onReportBatch(socket, payload, ack));
      socket.on('consensus.vote', (payload, ack) => {
        const answer = this.answerVote({ socket, payload });
        const vote = { socket, payload, answer };
        this.votes.push(vote);
        if (answer !== 'no-answer') ack(answer);
        this.emit('vote', vote);
      });
      socket.on('agent.heartbeat', (payload, ack) => {
        const heartbeat = { socket, payload, receivedAt: performance.now() };
        this.heartbeats.push(heartbeat);
        this.emit('heartbeat', heartbeat);
        if (!this.answerHeartbeats) return;
        if (!this.registeredSockets.has(socket)) {
          ack({ ok: false, error: { code: 'not_registered', message: 'register before sending heartbeats' } });
          return;
        }
        ack({ ok: true, data: { received_at: Date.now(), heartbeat_interval_ms: this.heartbeatIntervalMs } });
      });
    });
  }

  /**
   * Sends task.assign for a new attempt (fencing token from a growing counter unless given)
   * to `socket`, by default the only connected one. Returns the payload sent.
   */
  assign(overrides: Partial<TaskAssignPayload> = {}, socket: TestAgentSocket | undefined = this.connectedSockets()[0]): TaskAssignPayload {
    if (!socket) throw new Error('test coordinator: no agent connected to assign a task to');
    const payload = this.newAttempt(overrides);
    socket.emit('task.assign', payload);
    return payload;
  }

  /** Sends several new attempts in one task.assign.batch (see assign for the defaults). */
  assignBatch(overrides: Array<Partial<TaskAssignPayload>>, socket: TestAgentSocket | undefined = this.connectedSockets()[0]): TaskAssignPayload[] {
    if (!socket) throw new Error('test coordinator: no agent connected to assign tasks to');
    const tasks = overrides.map((override) => this.newAttempt(override));
    socket.emit('task.assign.batch', { tasks });
    return tasks;
  }

  /** Sends consensus.request for a new proposal (a 5 s deadline unless given); returns the payload sent. */
  requestConsensus(overrides: Partial<ConsensusRequestPayload> = {}, socket: TestAgentSocket | undefined = this.connectedSockets()[0]): ConsensusRequestPayload {
    if (!socket) throw new Error('test coordinator: no agent connected to ask for a vote');
    const payload: ConsensusRequestPayload = {
      proposal_id: `proposal-${++this.lastProposal}`,
      swarm_id: 'swarm-a',
      question: 'which?',
      options: ['a', 'b'],
      algorithm: 'majority',
      deadline_at: new Date(Date.now() + 5_000).toISOString(),
      delegation_allowed: false,
      participants: [this.agentId],
      ...overrides,
    };
    socket.emit('consensus.request', payload);
    return payload;
  }

  closeConsensus(payload: ConsensusClosedPayload, socket: TestAgentSocket | undefined = this.connectedSockets()[0]): void {
    if (!socket) throw new Error('test coordinator: no agent connected to tell the outcome');
    socket.emit('consensus.closed', payload);
  }

  cancel(payload: TaskCancelPayload, socket: TestAgentSocket | undefined = this.connectedSockets()[0]): void {
    if (!socket) throw new Error('test coordinator: no agent connected to cancel a task on');
    socket.emit('task.cancel', payload);
  }

  private newAttempt(overrides: Partial<TaskAssignPayload>): TaskAssignPayload {
    const fencingToken = overrides.fencing_token ?? String(++this.lastFencingToken);
    this.lastFencingToken = Math.max(this.lastFencingToken, Number(fencingToken) || 0);
    return {
      task_id: `task-${this.lastFencingToken}`,
      swarm_id: 'swarm-a',
      task_type: 'echo',
      payload: null,
      priority: 5,
      attempt: 1,
      max_attempts: 3,
      timeout_ms: 60_000,
      ack_deadline: Date.now() + 10_000,
      ...overrides,
      fencing_token: fencingToken,
    };
  }

  /** Reports received so far, optionally only those of one event and/or task. */
  reportsOf(event?: ReportEvent, taskId?: string): ReceivedReport[] {
    return this.reports.filter((report) => (event === undefined || report.event === event) && (taskId === undefined || report.payload.task_id === taskId));
  }

  private onReport(socket: TestAgentSocket, event: ReportEvent, payload: TaskReportBase, ack: (response: AckResponse<TaskReportAck>) => void): void {
    const received = { socket, event, payload: payload as TaskReportBase & Record<string, unknown>, receivedAt: performance.now() };
    const answer: ReportAnswer = this.registeredSockets.has(socket)
      ? this.answerReport(received)
      : { code: 'not_registered', message: 'register before sending task reports' };
    const report: ReceivedReport = { ...received, answer };
    this.reports.push(report);
    if (answer === 'ok') ack({ ok: true, data: { task_id: payload.task_id, received_at: Date.now() } });
    else if (answer !== 'no-answer') ack({ ok: false, error: answer });
    this.emit('report', report);
  }

  /**
   * A batch is recorded as its reports, one by one, each answered by answerReport; one
   * 'no-answer' among them leaves the whole batch unanswered, as a lost ack would.
   */
  private onReportBatch(socket: TestAgentSocket, payload: TaskReportBatchPayload, ack: (response: AckResponse<TaskReportBatchAck>) => void): void {
    this.reportBatchSizes.push(payload.reports.length);
    const results: TaskReportBatchAck['results'] = [];
    let answered = true;
    const received: ReceivedReport[] = [];
    for (const { type, ...fields } of payload.reports) {
      const base = { socket, event: `task.${type}` as ReportEvent, payload: fields as TaskReportBase & Record<string, unknown>, receivedAt: performance.now() };
      const answer: ReportAnswer = this.registeredSockets.has(socket)
        ? this.answerReport(base)
        : { code: 'not_registered', message: 'register before sending task reports' };
      const report: ReceivedReport = { ...base, answer };
      this.reports.push(report);
      received.push(report);
      if (answer === 'no-answer') answered = false;
      results.push(answer === 'ok' || answer === 'no-answer' ? { ok: true } : { ok: false, error: answer });
    }
    if (answered) ack({ ok: true, data: { received_at: Date.now(), results } });
    for (const report of received) this.emit('report', report);
  }

  /** Forgets that a socket registered, as a server that lost its state would. */
  forgetRegistration(socket: TestAgentSocket): void {
    this.registeredSockets.delete(socket);
  }

  private registerAnswer(socket: TestAgentSocket, payload: RegisterPayload): AckResponse<RegisteredInfo> {
    if (this.registrationError) return { ok: false, error: this.registrationError };
    this.registeredSockets.add(socket);
    return {
      ok: true,
      data: {
        agent_id: this.agentId,
        name: 'test-agent',
        capabilities: payload.capabilities ?? [],
        max_concurrency: 1,
        heartbeat_interval_ms: this.heartbeatIntervalMs,
        swarms: [
          { swarm_id: 'swarm-a', role: 'worker', heartbeat_interval_ms: this.heartbeatIntervalMs, heartbeat_timeout_ms: 3 * this.heartbeatIntervalMs },
          { swarm_id: 'swarm-b', role: 'worker', heartbeat_interval_ms: this.heartbeatIntervalMs, heartbeat_timeout_ms: 3 * this.heartbeatIntervalMs },
        ],
      },
    };
  }
}

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { io, type Socket } from 'socket.io-client';
import {
  reconnectDelay,
  resolveReconnectOptions,
  toSocketReconnectionSettings,
  type ReconnectOptions,
} from './backoff';
import {
  AGENTS_NAMESPACE,
  type AckError,
  type AgentClientToServerEvents,
  type AgentServerToClientEvents,
  type HeartbeatAck,
  type HeartbeatPayload,
  type RegisteredInfo,
  type RegisterPayload,
  type StopPayload,
  type SubtaskFinishedPayload,
  type SubtaskOutcome,
  type SubtaskSpec,
  type SwarmMessageAck,
  type TaskDelegateAck,
  type SwarmMessageDelivery,
  type SwarmTopologyPayload,
  type TaskProgressPayload,
} from './contract';
import {
  AgentStoppedError,
  DelegationRefusedError,
  MessageRefusedError,
  ConnectionRefusedError,
  isNonRetryable,
  RegistrationError,
  ServerReportedError,
  TaskCancelledError,
  TaskSupersededError,
  TaskTimeoutError,
  UnknownTaskTypeError,
} from './errors';
import { ConsensusResponder, type ConsensusClosed, type ConsensusHandler, type ConsensusVoted, type ConsensusVoteRejected } from './consensus';
import { HeartbeatLoop } from './heartbeat-loop';
import { silentLogger, type AgentLogger } from './logger';
import { ProgressThrottle } from './progress-throttle';
import { ReportBatcher } from './report-batcher';
import { DEFAULT_REPORT_RETRY, isAttemptGone, ReportOutbox, type SendOutcome, type TaskReport } from './report-outbox';
import { ResourceSampler } from './resource-sampler';
import { compareFencingTokens, readAssignment, readCancellation, RecentAttempts, type Assignment } from './task-attempts';
import { TaskTracker } from './task-tracker';
import {
  ANY_TASK_TYPE,
  type AgentTask,
  type TaskAttemptInfo,
  type TaskContext,
  type TaskFinishedInfo,
  type TaskHandler,
  type TaskProgress,
  type TaskStartedInfo,
} from './tasks';

/** Used until the server states an interval (and if it ever states a nonsensical one). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** A floor against a misconfigured server turning heartbeats into a busy loop. */
export const MIN_HEARTBEAT_INTERVAL_MS = 50;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
export const DEFAULT_REGISTER_TIMEOUT_MS = 10_000;
export const DEFAULT_REPORT_TIMEOUT_MS = 10_000;
/**
 * The coordinator closes a socket that sends a message above its SOCKET_MAX_PAYLOAD_BYTES
 * (64 KiB by default). A result that large would be resent after every reconnect and cut the
 * connection each time, so it is reported as a failure instead; this leaves room for framing.
 */
export const DEFAULT_MAX_REPORT_BYTES = 60_000;
/** Failure messages are cut to this many characters: a stack-sized message helps nobody (the coordinator takes 4,000). */
export const MAX_ERROR_LENGTH = 2_000;
/** Progress messages are cut to the coordinator's limit. */
export const MAX_PROGRESS_MESSAGE_LENGTH = 500;
/** After the stop deadline aborts the handlers, how long they get to settle so their failures can be reported. */
const ABORTED_SETTLE_MS = 1_000;
/** setTimeout fires at once for longer delays; a task limit beyond it is no limit in practice. */
const MAX_TIMER_MS = 2_147_483_647;

export interface AgentClientOptions {
  /** The coordinator's base URL, e.g. http://127.0.0.1:18000; the client adds /agents. */
  url: string;
  /** The agent token (sa_<prefix>_<secret>), sent in the socket.io handshake. */
  token: string;
  /** Replaces the capabilities stored on the server at each registration when given. */
  capabilities?: string[];
  /** Merged over the process facts the client sends anyway (hostname, pid, Node version). */
  metadata?: Record<string, unknown>;
  logger?: AgentLogger;
  reconnect?: Partial<ReconnectOptions>;
  /**
   * How long stop() waits for running tasks before aborting their signals. Their reports then
   * get what is left of it (at least one reportTimeoutMs) to reach the coordinator.
   */
  stopTimeoutMs?: number;
  /** How long the server has to answer agent.register. */
  registerTimeoutMs?: number;
  /** How long the server has to acknowledge a task report before it is sent again. */
  reportTimeoutMs?: number;
  /** Backoff between sends of a task report that got no usable answer on a live connection. */
  reportRetry?: Partial<ReconnectOptions>;
  /** A result whose JSON is larger is reported as a non-retryable failure (see DEFAULT_MAX_REPORT_BYTES). */
  maxReportBytes?: number;
  /** Where heartbeat cpu/memory figures come from; the real process by default. */
  resourceSampler?: ResourceSampler;
}

/** Why the client stopped. `error` is set when a fatal problem (not a request) stopped it. */
export interface StopInfo {
  reason: string;
  initiator: 'agent' | 'coordinator' | 'error';
  error?: ConnectionRefusedError | RegistrationError;
}

/** The coordinator refused a task report for good (emitted as 'report-rejected'). */
export interface ReportRejection {
  event: TaskReport['event'] | 'task.progress';
  taskId: string;
  fencingToken: string;
  error: AckError;
}

/**
 * 'error' carries problems the client recovers from by itself (agent.error from the server, a
 * registration refused on a reconnect); it is only emitted when someone listens, so a program
 * that ignores it is not killed by Node's unhandled-'error' rule. Fatal problems end the
 * client instead: connect() rejects if still pending, and 'stopped' carries the error.
 */
export interface AgentClientEvents {
  registered: [info: RegisteredInfo];
  disconnected: [reason: string];
  reconnecting: [attempt: number];
  'stop-requested': [payload: StopPayload];
  heartbeat: [payload: HeartbeatPayload, ack: HeartbeatAck];
  'heartbeat-failed': [error: AckError];
  'task-started': [info: TaskStartedInfo];
  'task-progress': [progress: TaskProgress];
  'task-finished': [info: TaskFinishedInfo];
  'report-rejected': [rejection: ReportRejection];
  /** The coordinator recorded this agent's vote (see onConsensus). */
  'consensus-voted': [voted: ConsensusVoted];
  /** The coordinator refused this agent's vote for good (already voted, not an option, closed...). */
  'consensus-vote-rejected': [rejected: ConsensusVoteRejected];
  /** A proposal this agent was asked about is over. */
  'consensus-closed': [closed: ConsensusClosed];
  /** Another member messaged this agent (directly or by broadcast). */
  message: [message: SwarmMessageDelivery];
  /** This agent's role, leader or links in a swarm changed. */
  topology: [topology: SwarmTopologyPayload];
  stopped: [info: StopInfo];
  error: [error: Error];
}

type AgentSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;

/** How often ctx.delegate asks again while waiting, in case a task.subtask.finished was missed. */
const DELEGATION_RESYNC_MS = 5_000;
const FINAL_SUBTASK_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'timed_out']);
type ClientState = 'idle' | 'connecting' | 'registered' | 'stopping' | 'stopped';

/** An attempt whose handler runs here, by task id (one attempt per task at a time). */
interface ActiveAttempt {
  task: AgentTask;
  info: TaskAttemptInfo;
  /** False for runTask: nothing about it goes to the coordinator. */
  remote: boolean;
  startedAt: number;
  progress: ProgressThrottle<TaskProgressPayload>;
  timeoutTimer: NodeJS.Timeout | undefined;
  /** Set once the handler settled or the attempt was dropped; nothing is reported after. */
  ended: boolean;
  dropped?: 'cancelled' | 'superseded';
}

/** What runTask's attempts say about themselves where the coordinator would have said it. */
const LOCAL_ATTEMPT: TaskAttemptInfo = Object.freeze({
  fencingToken: 'local',
  attempt: 1,
  maxAttempts: 1,
  swarmId: '',
  priority: 5,
  timeoutMs: Infinity,
});

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let settled = false;
  let resolvePromise!: (value: T) => void;
  let rejectPromise!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  return {
    promise,
    resolve: (value) => {
      if (settled) return;
      settled = true;
      resolvePromise(value);
    },
    reject: (error) => {
      if (settled) return;
      settled = true;
      rejectPromise(error);
    },
  };
}

function heartbeatIntervalFrom(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? Math.max(MIN_HEARTBEAT_INTERVAL_MS, value)
    : DEFAULT_HEARTBEAT_INTERVAL_MS;
}

function processFacts(): Record<string, unknown> {
  return {
    hostname: hostname(),
    pid: process.pid,
    node_version: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Like the reconnect settings: a larger initial delay alone raises the ceiling with it. */
function resolveReportRetry(options: Partial<ReconnectOptions> = {}): ReconnectOptions {
  const initialDelayMs = options.initialDelayMs ?? DEFAULT_REPORT_RETRY.initialDelayMs;
  return resolveReconnectOptions({ initialDelayMs, maxDelayMs: options.maxDelayMs ?? Math.max(DEFAULT_REPORT_RETRY.maxDelayMs, initialDelayMs) });
}

function clip(text: string, maxLength: number = MAX_ERROR_LENGTH): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/** Duck-typed: errors from Node internals or another realm (a vm, a test runner) fail instanceof Error. */
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
    return clip(error.message || name);
  }
  return clip(String(error) || 'unknown error');
}

/**
 * One agent's connection to the coordinator: connects to the /agents namespace, registers,
 * heartbeats on the server's interval with real resource figures, re-registers after every
 * reconnect, runs the task attempts the server assigns and reports their outcome until the
 * server has it, and stops gracefully on request (from the program or from the server).
 */
export class AgentClient extends EventEmitter<AgentClientEvents> {
  private readonly url: string;
  private readonly token: string;
  private readonly capabilities?: string[];
  private readonly metadata: Record<string, unknown>;
  private readonly logger: AgentLogger;
  private readonly reconnectOptions: ReconnectOptions;
  private readonly stopTimeoutMs: number;
  private readonly registerTimeoutMs: number;
  private readonly reportTimeoutMs: number;
  private readonly maxReportBytes: number;
  private readonly sampler: ResourceSampler;
  private readonly tracker = new TaskTracker();
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly heartbeats: HeartbeatLoop;
  private readonly outbox: ReportOutbox;
  private readonly batcher: ReportBatcher;
  private readonly consensus: ConsensusResponder;
  /**
   * Acks held until the end of the event-loop turn (task id → fencing token): a task that
   * finishes within the same turn sends its result alone — the result says it started.
   */
  private readonly pendingAcks = new Map<string, string>();
  private acksScheduled = false;
  private readonly attempts = new Map<string, ActiveAttempt>();
  private readonly recentAttempts = new RecentAttempts();
  /** Attempts waiting in ctx.delegate, by task id: where task.subtask.finished goes. */
  private readonly subtaskListeners = new Map<string, (outcome: SubtaskFinishedPayload) => void>();

  private state: ClientState = 'idle';
  /** The current connection has registered: heartbeats and reports may go out on it. */
  private sessionReady = false;
  private socket: AgentSocket | undefined;
  private firstRegistration: Deferred<RegisteredInfo> | undefined;
  private stopping: Promise<void> | undefined;
  private info: RegisteredInfo | undefined;
  /** Bumped on every connect and disconnect, so answers that arrive for an older connection are ignored. */
  private connectionGeneration = 0;
  /** Counts reconnect attempts since a connection last proved stable; drives the backoff. */
  private reconnectAttempt = 0;
  private acksOnConnection = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentClientOptions) {
    super();
    try {
      const protocol = new URL(options.url).protocol;
      if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) throw new Error(protocol);
    } catch {
      throw new TypeError(`url must be an http(s) or ws(s) URL, got "${options.url}"`);
    }
    if (!options.token) throw new TypeError('token is required');
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.capabilities = options.capabilities ? [...options.capabilities] : undefined;
    this.metadata = { ...processFacts(), ...options.metadata };
    this.logger = options.logger ?? silentLogger;
    this.reconnectOptions = resolveReconnectOptions(options.reconnect);
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.registerTimeoutMs = options.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    this.reportTimeoutMs = options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS;
    this.maxReportBytes = options.maxReportBytes ?? DEFAULT_MAX_REPORT_BYTES;
    this.sampler = options.resourceSampler ?? new ResourceSampler();
    this.heartbeats = new HeartbeatLoop(
      (intervalMs) =>
        this.sendHeartbeat(intervalMs).catch((error: unknown) => {
          this.logger.error({ error: String(error) }, 'heartbeat failed unexpectedly');
        }),
      DEFAULT_HEARTBEAT_INTERVAL_MS,
    );
    this.batcher = new ReportBatcher({
      emit: (reports) => {
        const socket = this.socket;
        // Checked again at the flush: the connection may have dropped since the reports were handed over.
        if (!socket?.connected || !this.sessionReady) return Promise.reject(new Error('offline'));
        return socket.timeout(this.reportTimeoutMs).emitWithAck('task.report.batch', { reports });
      },
      isOnline: () => Boolean(this.socket?.connected && this.sessionReady),
    });
    this.consensus = new ConsensusResponder({
      send: (payload) => {
        const socket = this.socket;
        if (!socket?.connected || !this.sessionReady) return 'offline';
        return socket.timeout(this.reportTimeoutMs).emitWithAck('consensus.vote', payload);
      },
      logger: this.logger,
      onVoted: (voted) => this.notify('consensus-voted', voted),
      onRejected: (rejected) => this.notify('consensus-vote-rejected', rejected),
      onClosed: (closed) => this.notify('consensus-closed', closed),
    });
    this.outbox = new ReportOutbox({
      send: (report) => this.sendReport(report),
      retry: resolveReportRetry(options.reportRetry),
      onRefused: (report, error, attemptGone) =>
        this.onReportRefused(report.event, report.payload.task_id, report.payload.fencing_token, error, attemptGone),
      onRetry: (report, outcome, delayMs) =>
        this.logger.debug(
          { event: report.event, task_id: report.payload.task_id, outcome: outcome.kind, retry_in_ms: delayMs },
          'task report not acknowledged; sending again',
        ),
    });
  }

  /** What the server answered at the latest registration (swarms updated by agent.stop). */
  get registration(): RegisteredInfo | undefined {
    return this.info;
  }

  get isRegistered(): boolean {
    return this.state === 'registered';
  }

  get runningTaskIds(): string[] {
    return this.tracker.runningTaskIds;
  }

  /** Task reports (ack, result, failure) the coordinator has not acknowledged yet. */
  get pendingReportCount(): number {
    return this.outbox.size;
  }

  /**
   * Connects and registers. Resolves with the first registration. Rejects with
   * ConnectionRefusedError when the server refuses the handshake, RegistrationError when it
   * refuses (or does not answer) agent.register, AgentStoppedError when stop() comes first.
   * An unreachable server is not an error: socket.io keeps retrying with backoff, reported
   * through 'reconnecting'. Calling it again returns the same promise; after stop() it rejects.
   */
  connect(): Promise<RegisteredInfo> {
    if (this.stopping) return Promise.reject(new AgentStoppedError('connect() called after stop()'));
    if (this.firstRegistration) return this.firstRegistration.promise;
    this.firstRegistration = deferred<RegisteredInfo>();
    this.state = 'connecting';
    const socket: AgentSocket = io(`${this.url}${AGENTS_NAMESPACE}`, {
      auth: { token: this.token },
      transports: ['websocket'],
      autoConnect: false,
      // Each client owns its connection: two agents in one process must not share a manager.
      forceNew: true,
      ...toSocketReconnectionSettings(this.reconnectOptions),
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnected(socket));
    socket.on('connect_error', (error) => this.onConnectError(socket, error));
    socket.on('disconnect', (reason) => this.onDisconnected(reason));
    socket.on('agent.stop', (payload) => this.onStopRequested(payload));
    socket.on('agent.error', (payload) => this.onServerError(payload));
    socket.on('task.assign', (payload) => this.onTaskAssigned(payload));
    socket.on('task.assign.batch', (payload) => {
      const tasks = (payload as { tasks?: unknown } | null)?.tasks;
      if (Array.isArray(tasks)) for (const task of tasks) this.onTaskAssigned(task);
      else this.logger.warn({}, 'ignored a task.assign.batch without tasks');
    });
    socket.on('task.cancel', (payload) => this.onTaskCancelled(payload));
    socket.on('consensus.request', (payload) => this.consensus.onRequest(payload));
    socket.on('consensus.closed', (payload) => this.consensus.onClosed(payload));
    socket.on('swarm.message', (payload) => this.emit('message', payload));
    socket.on('task.subtask.finished', (payload) => this.subtaskListeners.get(payload.parent_task_id)?.(payload));
    socket.on('swarm.topology', (payload) => this.emit('topology', payload));
    socket.io.on('reconnect_attempt', () => this.onReconnectAttempt());
    this.logger.debug({ url: this.url }, 'connecting');
    socket.connect();
    return this.firstRegistration.promise;
  }

  /**
   * Registers the handler for a task type (or ANY_TASK_TYPE for every type without its own).
   * One handler per type: registering a second is a programming error and throws.
   */
  onTask<Payload = unknown, Result = unknown>(taskType: string, handler: TaskHandler<Payload, Result>): this {
    if (this.handlers.has(taskType)) throw new Error(`a handler for task type "${taskType}" is already registered`);
    this.handlers.set(taskType, handler as TaskHandler);
    return this;
  }

  /**
   * Answers the coordinator's consensus requests: the handler gets each proposal and returns
   * the value to vote for, delegateTo(agentId) on a delegated proposal, or undefined to
   * abstain. The vote is sent (again, until the deadline, when it gets no answer) and its
   * outcome emitted as 'consensus-voted' or 'consensus-vote-rejected'. One handler per client.
   */
  onConsensus(handler: ConsensusHandler): this {
    if (this.consensus.handler) throw new Error('a consensus handler is already registered');
    this.consensus.handler = handler;
    return this;
  }

  /**
   * Runs a task through its handler without the coordinator (tasks from the coordinator arrive
   * over the socket and need no call): for programs embedding the client, and for tests. It
   * is tracked like the others (heartbeats, graceful stop, events) but nothing about it is
   * reported. Resolves with the handler's result; refused once the client is stopping.
   */
  async runTask(task: AgentTask, attempt: Partial<TaskAttemptInfo> = {}): Promise<unknown> {
    if (this.stopping) throw new AgentStoppedError('the agent is stopping and accepts no new task');
    const handler = this.handlerFor(task.type);
    if (!handler) throw new UnknownTaskTypeError(task.type);
    return this.execute(task, { ...LOCAL_ATTEMPT, ...attempt }, handler, false);
  }

  /**
   * Sends a message to another member of a swarm (`to`: its agent id) or to everyone this agent
   * may reach there ('broadcast'). The swarm's topology decides: a refused message rejects with
   * MessageRefusedError naming the rule. Resolves with who it went to.
   */
  async sendMessage(swarmId: string, to: string | 'broadcast', payload: unknown): Promise<SwarmMessageAck> {
    const socket = this.socket;
    if (!socket || !this.sessionReady) throw new AgentStoppedError('not connected and registered: messages cannot be sent now');
    const request = to === 'broadcast' ? { swarm_id: swarmId, broadcast: true, payload } : { swarm_id: swarmId, to, payload };
    const response = await socket.timeout(this.reportTimeoutMs).emitWithAck('swarm.message', request);
    if (!response.ok) throw new MessageRefusedError(response.error);
    return response.data;
  }

  /**
   * Graceful stop: no new task is accepted, running tasks get up to stopTimeoutMs to finish
   * (then their signals abort), their reports are delivered, and the socket closes.
   * Heartbeats go on until then. Idempotent: every call returns the same promise. Emits
   * 'stopped' when done.
   */
  stop(reason = 'stopped by the agent'): Promise<void> {
    return this.finish({ reason, initiator: 'agent' });
  }

  private onConnected(socket: AgentSocket): void {
    if (this.stopping) return;
    const generation = ++this.connectionGeneration;
    void this.register(socket, generation);
  }

  private async register(socket: AgentSocket, generation: number): Promise<void> {
    const payload: RegisterPayload = { metadata: this.metadata, accepts_task_batches: true };
    if (this.capabilities) payload.capabilities = this.capabilities;
    let response;
    try {
      response = await socket.timeout(this.registerTimeoutMs).emitWithAck('agent.register', payload);
    } catch {
      // Either the ack timed out or the connection dropped; only the former is a failure here,
      // the latter is followed by a reconnect that registers again.
      if (!this.isCurrentConnection(socket, generation)) return;
      this.onRegistrationFailed(
        socket,
        new RegistrationError({ code: 'timeout', message: `no answer to agent.register within ${this.registerTimeoutMs} ms` }),
      );
      return;
    }
    if (!this.isCurrentConnection(socket, generation)) return;
    if (response.ok) this.onRegistered(response.data);
    else this.onRegistrationFailed(socket, new RegistrationError(response.error));
  }

  /** Still true while stopping: the drain needs a registered connection to deliver its reports. */
  private isCurrentConnection(socket: AgentSocket, generation: number): boolean {
    return this.state !== 'stopped' && socket.connected && generation === this.connectionGeneration;
  }

  private onRegistered(info: RegisteredInfo): void {
    this.info = info;
    this.sessionReady = true;
    if (!this.stopping) this.state = 'registered';
    this.acksOnConnection = 0;
    const intervalMs = heartbeatIntervalFrom(info.heartbeat_interval_ms);
    this.logger.debug(
      { agent_id: info.agent_id, swarms: info.swarms.map((s) => s.swarm_id), heartbeat_interval_ms: intervalMs },
      'registered',
    );
    this.heartbeats.start(intervalMs);
    // Reports that could not go out (or got no answer) while disconnected go out now, after
    // the registration: the server only takes reports from a registered agent.
    if (this.outbox.size > 0) this.logger.debug({ pending_reports: this.outbox.size }, 'sending task reports held while disconnected');
    this.outbox.resume();
    this.firstRegistration?.resolve(info);
    this.emit('registered', info);
  }

  private onRegistrationFailed(socket: AgentSocket, error: RegistrationError): void {
    this.logger.warn({ code: error.code, error: error.message, details: error.details }, 'registration failed');
    if (!this.info) {
      // Refused at start-up: the program is misconfigured or not allowed; say so and end.
      void this.finish({ reason: error.message, initiator: 'error', error });
      return;
    }
    // Refused after having worked before: most likely transient (rate limit, server restart).
    this.reportError(error);
    socket.disconnect();
    this.scheduleReconnect(socket);
  }

  private onConnectError(socket: AgentSocket, error: Error): void {
    if (this.stopping) return;
    if (socket.active) {
      // Transport-level failure (server down, network): socket.io retries by itself.
      this.logger.debug({ error: error.message }, 'connection attempt failed; retrying');
      return;
    }
    // The server could not check the token right now (its database is down, say): retry
    // with backoff instead of giving up, since the token itself was not refused.
    if ((error as Error & { data?: { retryable?: boolean } }).data?.retryable) {
      this.logger.warn({ reason: error.message }, 'coordinator cannot authenticate right now; retrying');
      this.scheduleReconnect(socket);
      return;
    }
    // The handshake middleware said no. socket.io does not retry this, and nor do we.
    const refused = new ConnectionRefusedError(error.message);
    this.logger.warn({ reason: refused.reason }, 'connection refused');
    void this.finish({ reason: refused.message, initiator: 'error', error: refused });
  }

  private onDisconnected(reason: string): void {
    this.connectionGeneration++;
    this.sessionReady = false;
    this.heartbeats.stop();
    if (this.state === 'registered') this.state = 'connecting';
    // Running tasks go on: their outcome waits in the outbox for the next registration.
    this.logger.debug({ reason, running: this.tracker.runningCount, pending_reports: this.outbox.size }, 'disconnected');
    this.emit('disconnected', reason);
    if (this.stopping) return;
    // socket.io reconnects by itself after a lost transport, but not when the server closed
    // the socket on purpose ("io server disconnect"); that case is retried here, with the same
    // backoff, and a reconnect refused at the handshake then ends the client.
    if (reason === 'io server disconnect' && this.socket) this.scheduleReconnect(this.socket);
  }

  private onReconnectAttempt(): void {
    if (this.stopping) return;
    this.emit('reconnecting', ++this.reconnectAttempt);
  }

  private scheduleReconnect(socket: AgentSocket): void {
    clearTimeout(this.reconnectTimer);
    const delayMs = reconnectDelay(this.reconnectAttempt + 1, this.reconnectOptions);
    this.logger.debug({ delay_ms: delayMs }, 'reconnecting after a server-side close');
    this.reconnectTimer = setTimeout(() => {
      if (this.stopping) return;
      this.emit('reconnecting', ++this.reconnectAttempt);
      socket.connect();
    }, delayMs);
  }

  private onStopRequested(payload: StopPayload): void {
    this.logger.debug({ reason: payload.reason, swarm_id: payload.swarm_id }, 'stop requested by the coordinator');
    const removedSwarmId = payload.swarm_id;
    if (removedSwarmId !== undefined && this.info) {
      this.info = { ...this.info, swarms: this.info.swarms.filter((swarm) => swarm.swarm_id !== removedSwarmId) };
    }
    this.emit('stop-requested', payload);
    // With a swarm id the agent only left that swarm and keeps serving the others.
    if (removedSwarmId === undefined) void this.finish({ reason: payload.reason, initiator: 'coordinator' });
  }

  private onServerError(payload: AckError): void {
    // The server drops the socket right after this; the reconnect logic takes it from there.
    this.reportError(new ServerReportedError(payload));
  }

  private reportError(error: Error): void {
    this.logger.warn({ error: error.message }, 'agent error');
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  // ---- tasks --------------------------------------------------------------------------------

  private handlerFor(taskType: string): TaskHandler | undefined {
    return this.handlers.get(taskType) ?? this.handlers.get(ANY_TASK_TYPE);
  }

  private onTaskAssigned(raw: unknown): void {
    const assignment = readAssignment(raw);
    if (!assignment) {
      this.logger.warn({}, 'ignored a task.assign without task_id and fencing_token');
      return;
    }
    const { taskId, fencingToken } = assignment;
    const fields = { task_id: taskId, fencing_token: fencingToken, task_type: assignment.taskType };
    if (this.stopping) {
      // Not acknowledged on purpose: the coordinator gives the attempt to another agent at its
      // ack deadline, or at once when this agent disconnects at the end of its drain.
      this.logger.info(fields, 'task assigned while stopping; not accepted');
      return;
    }
    const running = this.attempts.get(taskId);
    const knownToken = running?.info.fencingToken ?? this.recentAttempts.tokenOf(taskId);
    if (knownToken !== undefined && compareFencingTokens(fencingToken, knownToken) <= 0) {
      // Delivery is at-least-once: a second copy of the attempt (or a late copy of an older
      // one) must not run it again. Its ack and outcome are already in the outbox's hands.
      this.logger.debug({ ...fields, known_token: knownToken }, fencingToken === knownToken ? 'duplicate task.assign ignored' : 'stale task.assign ignored');
      return;
    }
    if (running) {
      this.logger.info({ ...fields, superseded_token: running.info.fencingToken }, 'a newer attempt replaces the running one');
      this.dropAttempt(running, 'superseded', new TaskSupersededError(taskId, running.info.fencingToken));
    } else if (knownToken !== undefined) {
      // An older attempt that ended here may still have an undelivered outcome: it would only
      // be refused now that the coordinator has moved on to a newer attempt.
      this.outbox.drop(taskId, knownToken);
    }

    const handler = this.handlerFor(assignment.taskType);
    if (!handler) {
      this.rejectAssignment(assignment);
      return;
    }
    this.deferAck(taskId, fencingToken);
    const task: AgentTask = { id: taskId, type: assignment.taskType, payload: assignment.payload };
    this.execute(task, attemptInfoOf(assignment), handler, true).catch((error: unknown) => {
      // A handler's own failure is reported, not thrown; only a fault of the client lands here.
      this.logger.error({ ...fields, error: messageOf(error) }, 'could not run the task');
    });
  }

  private deferAck(taskId: string, fencingToken: string): void {
    this.pendingAcks.set(taskId, fencingToken);
    if (this.acksScheduled) return;
    this.acksScheduled = true;
    setImmediate(() => {
      this.acksScheduled = false;
      for (const [id, token] of this.pendingAcks) this.outbox.add({ event: 'task.ack', payload: { task_id: id, fencing_token: token } });
      this.pendingAcks.clear();
    });
  }

  /** The attempt's outcome is known, or the attempt is dropped: its ack, if not sent yet, is not needed. */
  private forgetPendingAck(taskId: string, fencingToken: string): void {
    if (this.pendingAcks.get(taskId) === fencingToken) this.pendingAcks.delete(taskId);
  }

  /** No handler takes this type: tell the coordinator at once, so the task does not wait for a timeout. */
  private rejectAssignment(assignment: Assignment): void {
    const { taskId, fencingToken } = assignment;
    const error = new UnknownTaskTypeError(assignment.taskType).message;
    this.logger.warn({ task_id: taskId, fencing_token: fencingToken, task_type: assignment.taskType }, 'no handler for the task type; failing it');
    this.recentAttempts.remember(taskId, fencingToken);
    this.outbox.add({ event: 'task.fail', payload: { task_id: taskId, fencing_token: fencingToken, error, retryable: false } });
    this.notify('task-finished', {
      ...startedInfoOf({ id: taskId, type: assignment.taskType }, attemptInfoOf(assignment)),
      outcome: 'rejected',
      durationMs: 0,
      error,
      retryable: false,
    });
  }

  private onTaskCancelled(raw: unknown): void {
    const cancellation = readCancellation(raw);
    if (!cancellation) {
      this.logger.warn({}, 'ignored a task.cancel without task_id and fencing_token');
      return;
    }
    const { taskId, fencingToken, reason } = cancellation;
    const fields = { task_id: taskId, fencing_token: fencingToken, reason };
    const attempt = this.attempts.get(taskId);
    // A cancel naming a newer attempt than the one running here covers it too: the running
    // one was replaced before the cancel was even sent.
    if (attempt?.remote && compareFencingTokens(fencingToken, attempt.info.fencingToken) >= 0) {
      this.logger.info(fields, 'task cancelled by the coordinator');
      this.dropAttempt(attempt, 'cancelled', new TaskCancelledError(taskId, reason));
    } else {
      // Already over here: an outcome still waiting to be delivered is not wanted either.
      const knownToken = this.recentAttempts.tokenOf(taskId);
      const dropped = knownToken !== undefined && compareFencingTokens(fencingToken, knownToken) >= 0 ? this.outbox.drop(taskId, knownToken) : 0;
      this.logger.debug({ ...fields, dropped_reports: dropped }, 'task.cancel for an attempt not running here');
    }
    // So that a late copy of the attempt's task.assign does not start it.
    this.recentAttempts.remember(taskId, fencingToken);
  }

  /**
   * Runs one attempt through its handler, tracked for heartbeats and graceful stop, and (for
   * the coordinator's attempts) queues its outcome for delivery before the tracker lets go of
   * it: a drain that sees the agent idle then also sees every report it has to flush.
   */
  private execute(task: AgentTask, info: TaskAttemptInfo, handler: TaskHandler, remote: boolean): Promise<unknown> {
    const attempt: ActiveAttempt = {
      task,
      info,
      remote,
      startedAt: performance.now(),
      progress: new ProgressThrottle((payload) => this.sendProgress(payload)),
      timeoutTimer: undefined,
      ended: false,
    };
    return this.tracker.run(task.id, async (signal) => {
      this.attempts.set(task.id, attempt);
      if (Number.isFinite(info.timeoutMs) && info.timeoutMs > 0 && info.timeoutMs <= MAX_TIMER_MS) {
        attempt.timeoutTimer = setTimeout(() => this.onAttemptTimeout(attempt), info.timeoutMs);
      }
      this.notify('task-started', startedInfoOf(task, info));
      const context: TaskContext = {
        ...info,
        taskId: task.id,
        signal,
        progress: (percent, message) => this.onProgress(attempt, percent, message),
        delegate: (subtasks) => this.delegate(attempt, subtasks, signal),
      };
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await handler(task, context) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      this.settle(attempt, outcome);
      // runTask's caller gets the handler's error; the coordinator's attempts report it instead.
      if (!outcome.ok && !remote) throw outcome.error;
      return outcome.ok ? outcome.value : undefined;
    });
  }

  /**
   * ctx.delegate: asks for the subtasks (idempotent on the coordinator), then waits for each to
   * be final, from task.subtask.finished or, should one be missed (a reconnect), by asking again
   * every DELEGATION_RESYNC_MS.
   */
  private async delegate(attempt: ActiveAttempt, subtasks: SubtaskSpec[], signal: AbortSignal): Promise<SubtaskOutcome[]> {
    if (!attempt.remote) throw new Error('delegate needs a task the coordinator assigned; runTask tasks cannot delegate');
    const taskId = attempt.task.id;
    const outcomes = new Map<string, SubtaskOutcome>();
    let order: string[] = [];
    let wake: (() => void) | undefined;
    const allFinal = () => order.length > 0 && order.every((id) => FINAL_SUBTASK_STATUSES.has(outcomes.get(id)?.status ?? 'queued'));
    this.subtaskListeners.set(taskId, (outcome) => {
      outcomes.set(outcome.task_id, outcome);
      if (allFinal()) wake?.();
    });
    try {
      for (;;) {
        signal.throwIfAborted();
        const ack = await this.requestDelegation(taskId, attempt.info.fencingToken, subtasks);
        if (ack) {
          order = ack.subtasks.map((s) => s.task_id);
          for (const s of ack.subtasks) if (!FINAL_SUBTASK_STATUSES.has(outcomes.get(s.task_id)?.status ?? 'queued')) outcomes.set(s.task_id, s);
        }
        if (allFinal()) return order.map((id) => outcomes.get(id)!);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, DELEGATION_RESYNC_MS);
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          };
          wake = done;
          signal.addEventListener('abort', done);
        });
        if (allFinal()) return order.map((id) => outcomes.get(id)!);
      }
    } finally {
      this.subtaskListeners.delete(taskId);
    }
  }

  /** One task.delegate round trip; undefined when not connected or unanswered (the caller retries). */
  private async requestDelegation(taskId: string, fencingToken: string, subtasks: SubtaskSpec[]): Promise<TaskDelegateAck | undefined> {
    const socket = this.socket;
    if (!socket || !this.sessionReady) return undefined;
    let response;
    try {
      response = await socket.timeout(this.reportTimeoutMs).emitWithAck('task.delegate', { task_id: taskId, fencing_token: fencingToken, subtasks });
    } catch {
      return undefined;
    }
    if (!response.ok) {
      if (response.error.code === 'internal') return undefined;
      throw new DelegationRefusedError(response.error);
    }
    return response.data;
  }

  private onAttemptTimeout(attempt: ActiveAttempt): void {
    if (attempt.ended) return;
    const { id } = attempt.task;
    // The coordinator has failed the attempt by now; the outcome is still reported (it is
    // refused if stale), but the handler is told to give up.
    this.logger.warn({ task_id: id, fencing_token: attempt.info.fencingToken, timeout_ms: attempt.info.timeoutMs }, 'task ran past its timeout; aborting it');
    this.tracker.abort(id, new TaskTimeoutError(id, attempt.info.timeoutMs));
  }

  private settle(attempt: ActiveAttempt, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
    clearTimeout(attempt.timeoutTimer);
    const durationMs = Math.round(performance.now() - attempt.startedAt);
    const started = startedInfoOf(attempt.task, attempt.info);
    if (attempt.ended) {
      // Cancelled or superseded while running: the coordinator wants nothing more about it.
      this.logger.debug({ task_id: started.taskId, fencing_token: started.fencingToken, outcome: attempt.dropped }, 'dropped attempt settled; outcome discarded');
      this.notify('task-finished', { ...started, outcome: attempt.dropped ?? 'cancelled', durationMs });
      return;
    }
    attempt.ended = true;
    if (this.attempts.get(started.taskId) === attempt) this.attempts.delete(started.taskId);

    let finished: TaskFinishedInfo;
    if (!attempt.remote) {
      attempt.progress.close();
      finished = outcome.ok
        ? { ...started, outcome: 'completed', durationMs }
        : { ...started, outcome: 'failed', durationMs, error: messageOf(outcome.error), retryable: !isNonRetryable(outcome.error) };
      this.notify('task-finished', finished);
      return;
    }
    this.recentAttempts.remember(started.taskId, started.fencingToken);
    // The last progress figure goes out before the outcome, never after it.
    attempt.progress.flush();
    attempt.progress.close();
    const report = outcome.ok
      ? this.resultReport(started.taskId, started.fencingToken, outcome.value)
      : this.failReport(started.taskId, started.fencingToken, messageOf(outcome.error), !isNonRetryable(outcome.error));
    this.forgetPendingAck(started.taskId, started.fencingToken);
    this.outbox.add(report);
    if (report.event === 'task.fail') {
      const { error, retryable } = report.payload;
      finished = { ...started, outcome: 'failed', durationMs, error, retryable: retryable !== false };
    } else {
      finished = { ...started, outcome: 'completed', durationMs };
    }
    this.notify('task-finished', finished);
  }

  /**
   * The result as JSON carries it (dates as strings, no undefined fields, no binary
   * attachments). One that JSON cannot carry, or too large for the coordinator to accept,
   * becomes a non-retryable failure: the same handler would produce it again.
   */
  private resultReport(taskId: string, fencingToken: string, value: unknown): TaskReport {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      return this.failReport(taskId, fencingToken, `the task's result cannot be sent as JSON: ${messageOf(error)}`, false);
    }
    if (json === undefined) return { event: 'task.result', payload: { task_id: taskId, fencing_token: fencingToken } };
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxReportBytes) {
      return this.failReport(taskId, fencingToken, `the task's result is ${bytes} bytes of JSON, more than the ${this.maxReportBytes} a report may carry`, false);
    }
    return { event: 'task.result', payload: { task_id: taskId, fencing_token: fencingToken, result: JSON.parse(json) as unknown } };
  }

  private failReport(taskId: string, fencingToken: string, error: string, retryable: boolean): TaskReport {
    return { event: 'task.fail', payload: { task_id: taskId, fencing_token: fencingToken, error: clip(error), retryable } };
  }

  /** Stops the attempt's handler (abort with `reason`) and forgets it: nothing about it is reported any more. */
  private dropAttempt(attempt: ActiveAttempt, why: 'cancelled' | 'superseded', reason: Error): void {
    if (attempt.ended) return;
    const { id } = attempt.task;
    attempt.ended = true;
    attempt.dropped = why;
    clearTimeout(attempt.timeoutTimer);
    attempt.progress.close();
    if (this.attempts.get(id) === attempt) this.attempts.delete(id);
    if (attempt.remote) {
      this.recentAttempts.remember(id, attempt.info.fencingToken);
      this.forgetPendingAck(id, attempt.info.fencingToken);
      this.outbox.drop(id, attempt.info.fencingToken);
    }
    this.tracker.abandon(id, reason);
  }

  private onProgress(attempt: ActiveAttempt, percent: number, message: string | undefined): void {
    if (attempt.ended) return;
    const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
    const text = message === undefined ? undefined : clip(String(message), MAX_PROGRESS_MESSAGE_LENGTH);
    this.notify('task-progress', { taskId: attempt.task.id, percent: clamped, ...(text === undefined ? {} : { message: text }) });
    if (!attempt.remote) return;
    attempt.progress.push({
      task_id: attempt.task.id,
      fencing_token: attempt.info.fencingToken,
      percent: clamped,
      ...(text === undefined ? {} : { message: text }),
    });
  }

  /** Fire and forget: progress is a snapshot, and one that cannot go out now is stale by the time it could. */
  private sendProgress(payload: TaskProgressPayload): void {
    const socket = this.socket;
    if (!socket?.connected || !this.sessionReady) return;
    socket
      .timeout(this.reportTimeoutMs)
      .emitWithAck('task.progress', payload)
      .then(
        (response) => {
          if (response.ok) return;
          const attemptGone = isAttemptGone(response.error);
          if (attemptGone || response.error.code === 'validation_failed') {
            this.onReportRefused('task.progress', payload.task_id, payload.fencing_token, response.error, attemptGone);
          } else {
            this.logger.debug({ task_id: payload.task_id, code: response.error.code }, 'progress report refused');
          }
        },
        () => undefined,
      );
  }

  private async sendReport(report: TaskReport): Promise<SendOutcome> {
    const socket = this.socket;
    // Never queue a report on a disconnected socket: socket.io would flush it on reconnect,
    // before the new registration. It waits in the outbox for resume() instead.
    if (!socket?.connected || !this.sessionReady) return { kind: 'offline' };
    return this.batcher.send(report);
  }

  private onReportRefused(event: ReportRejection['event'], taskId: string, fencingToken: string, error: AckError, attemptGone: boolean): void {
    const fields = { event, task_id: taskId, fencing_token: fencingToken, code: error.code, error: error.message };
    if (attemptGone) {
      // The coordinator has given the attempt up (timed out, reassigned, task gone): whatever
      // this agent still does for it is wasted.
      this.logger.info(fields, 'the coordinator no longer counts this attempt as ours; dropping it');
      const attempt = this.attempts.get(taskId);
      if (attempt?.remote && attempt.info.fencingToken === fencingToken) {
        this.dropAttempt(attempt, 'superseded', new TaskSupersededError(taskId, fencingToken));
      } else {
        this.outbox.drop(taskId, fencingToken);
        this.recentAttempts.remember(taskId, fencingToken);
      }
    } else {
      this.logger.warn({ ...fields, details: error.details }, 'the coordinator refused a task report');
      if (event === 'task.result') {
        // Otherwise the task would sit in flight until its timeout for a result that can never be stored.
        this.outbox.add(this.failReport(taskId, fencingToken, `the coordinator refused the task's result: ${error.message}`, false));
      }
    }
    this.notify('report-rejected', { event, taskId, fencingToken, error });
  }

  /** Emits to the program's listeners; one that throws must not break the task bookkeeping around it. */
  private notify<E extends 'task-started' | 'task-progress' | 'task-finished' | 'report-rejected' | 'consensus-voted' | 'consensus-vote-rejected' | 'consensus-closed'>(event: E, ...args: AgentClientEvents[E]): void {
    try {
      (this.emit as (name: E, ...values: AgentClientEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.logger.error({ event, error: messageOf(error) }, 'an event listener threw');
    }
  }

  // ---- heartbeats and stop ------------------------------------------------------------------

  private async sendHeartbeat(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    // Never queue a heartbeat on a disconnected socket: socket.io would flush it on reconnect,
    // before the new registration.
    if (!socket?.connected || !this.sessionReady) return;
    const generation = this.connectionGeneration;
    const payload = this.heartbeatPayload();
    let response;
    try {
      response = await socket.timeout(timeoutMs).emitWithAck('agent.heartbeat', payload);
    } catch {
      if (generation === this.connectionGeneration) {
        this.logger.warn({ timeout_ms: timeoutMs }, 'heartbeat not acknowledged in time; carrying on');
      }
      return;
    }
    if (generation !== this.connectionGeneration || this.state === 'stopped') return;
    if (response.ok) {
      // The backoff restarts only once a connection has proved stable: the first heartbeat goes
      // out right at registration, so the second ack shows it survived a whole interval. Resetting
      // any earlier lets a server that drops the agent soon after registering (rate limiting,
      // another process using the same token) see reconnects at the initial delay forever.
      if (++this.acksOnConnection >= 2) this.reconnectAttempt = 0;
      const intervalMs = heartbeatIntervalFrom(response.data.heartbeat_interval_ms);
      if (intervalMs !== this.heartbeats.currentIntervalMs) {
        this.logger.debug({ heartbeat_interval_ms: intervalMs }, 'heartbeat interval changed');
        this.heartbeats.setInterval(intervalMs);
      }
      this.emit('heartbeat', payload, response.data);
      return;
    }
    this.logger.warn({ code: response.error.code, error: response.error.message }, 'heartbeat refused');
    this.emit('heartbeat-failed', response.error);
    if (response.error.code === 'not_registered') {
      // The server lost track of this connection's registration: register again on it.
      this.heartbeats.stop();
      this.sessionReady = false;
      if (!this.stopping) this.state = 'connecting';
      void this.register(socket, generation);
    }
  }

  private heartbeatPayload(): HeartbeatPayload {
    const resources = this.sampler.sample();
    return {
      status: this.tracker.isBusy ? 'busy' : 'idle',
      cpu_percent: resources.cpu_percent,
      memory_mb: resources.memory_mb,
      // Attempts accepted and not finished; every accepted attempt runs at once (see
      // TaskTracker). Cancelled and superseded ones are not counted, even if their handler
      // has not noticed yet: the coordinator has taken them back.
      queue_depth: this.tracker.runningCount,
      current_task_id: this.tracker.currentTaskId,
    };
  }

  private finish(info: StopInfo): Promise<void> {
    this.stopping ??= this.drainAndClose(info);
    return this.stopping;
  }

  private async drainAndClose(info: StopInfo): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.reconnectTimer);
    this.consensus.abortAll(new AgentStoppedError(info.reason));
    // A connection lost while draining is not worth re-establishing: the coordinator fails the
    // attempts of a disconnected agent, so their outcomes would be refused anyway.
    this.socket?.io.reconnection(false);
    this.firstRegistration?.reject(info.error ?? new AgentStoppedError(info.reason));
    // Heartbeats go on while draining, so the coordinator does not take the agent for dead
    // (and fail its attempts) while it finishes them.
    const deadline = performance.now() + this.stopTimeoutMs;
    if (this.tracker.isBusy) {
      this.logger.debug({ running: this.tracker.runningTaskIds, timeout_ms: this.stopTimeoutMs }, 'waiting for running tasks');
      const drained = await this.tracker.waitForIdle(this.stopTimeoutMs);
      if (!drained) {
        const aborted = this.tracker.abortAll(new AgentStoppedError(info.reason));
        this.logger.warn({ aborted, timeout_ms: this.stopTimeoutMs }, 'tasks still running at the stop deadline; aborted');
        // Handlers that honour the signal settle at once; their (retryable) failures then go
        // out with the other reports, so the coordinator retries them without waiting.
        await this.tracker.waitForIdle(ABORTED_SETTLE_MS);
      }
    }
    await this.flushReports(deadline);
    this.heartbeats.stop();
    for (const attempt of this.attempts.values()) {
      clearTimeout(attempt.timeoutTimer);
      attempt.progress.close();
    }
    const undelivered = this.outbox.close();
    if (undelivered.length > 0) {
      this.logger.warn(
        { reports: undelivered.map((report) => ({ event: report.event, task_id: report.payload.task_id })) },
        'task reports not acknowledged before closing; the coordinator recovers those attempts when the agent disconnects',
      );
    }
    this.sessionReady = false;
    const socket = this.socket;
    socket?.disconnect();
    socket?.removeAllListeners();
    socket?.io.removeAllListeners();
    this.state = 'stopped';
    this.logger.debug({ reason: info.reason, initiator: info.initiator }, 'stopped');
    this.emit('stopped', info);
  }

  /**
   * Waits until the coordinator has every report, for what is left of the stop budget (at
   * least one report timeout, so an outcome that came at the last moment still gets a try),
   * and not at all without a registered connection: none is coming back while stopping.
   */
  private async flushReports(deadline: number): Promise<void> {
    const socket = this.socket;
    if (this.outbox.size === 0 || !socket?.connected || !this.sessionReady) return;
    const budgetMs = Math.max(deadline - performance.now(), this.reportTimeoutMs);
    this.logger.debug({ pending_reports: this.outbox.size, timeout_ms: Math.round(budgetMs) }, 'delivering task reports before closing');
    let onDisconnect: (() => void) | undefined;
    const disconnected = new Promise<boolean>((resolve) => {
      onDisconnect = () => resolve(false);
      socket.once('disconnect', onDisconnect);
    });
    await Promise.race([this.outbox.whenEmpty(budgetMs), disconnected]);
    if (onDisconnect) socket.off('disconnect', onDisconnect);
  }
}

function attemptInfoOf(assignment: Assignment): TaskAttemptInfo {
  return {
    fencingToken: assignment.fencingToken,
    attempt: assignment.attempt,
    maxAttempts: assignment.maxAttempts,
    swarmId: assignment.swarmId,
    priority: assignment.priority,
    timeoutMs: assignment.timeoutMs,
  };
}

function startedInfoOf(task: Pick<AgentTask, 'id' | 'type'>, info: TaskAttemptInfo): TaskStartedInfo {
  return { taskId: task.id, taskType: task.type, fencingToken: info.fencingToken, attempt: info.attempt, swarmId: info.swarmId };
}

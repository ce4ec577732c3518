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
} from './contract';
import {
  AgentStoppedError,
  ConnectionRefusedError,
  RegistrationError,
  ServerReportedError,
  UnknownTaskTypeError,
} from './errors';
import { HeartbeatLoop } from './heartbeat-loop';
import { silentLogger, type AgentLogger } from './logger';
import { ResourceSampler } from './resource-sampler';
import { TaskTracker } from './task-tracker';
import { ANY_TASK_TYPE, type AgentTask, type TaskHandler, type TaskProgress } from './tasks';

/** Used until the server states an interval (and if it ever states a nonsensical one). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** A floor against a misconfigured server turning heartbeats into a busy loop. */
export const MIN_HEARTBEAT_INTERVAL_MS = 50;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
export const DEFAULT_REGISTER_TIMEOUT_MS = 10_000;

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
  /** How long stop() waits for running tasks before aborting their signals. */
  stopTimeoutMs?: number;
  /** How long the server has to answer agent.register. */
  registerTimeoutMs?: number;
  /** Where heartbeat cpu/memory figures come from; the real process by default. */
  resourceSampler?: ResourceSampler;
}

/** Why the client stopped. `error` is set when a fatal problem (not a request) stopped it. */
export interface StopInfo {
  reason: string;
  initiator: 'agent' | 'coordinator' | 'error';
  error?: ConnectionRefusedError | RegistrationError;
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
  'task-progress': [progress: TaskProgress];
  stopped: [info: StopInfo];
  error: [error: Error];
}

type AgentSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;
type ClientState = 'idle' | 'connecting' | 'registered' | 'stopping' | 'stopped';

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

/**
 * One agent's connection to the coordinator: connects to the /agents namespace, registers,
 * heartbeats on the server's interval with real resource figures, re-registers after every
 * reconnect, and stops gracefully on request (from the program or from the server).
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
  private readonly sampler: ResourceSampler;
  private readonly tracker = new TaskTracker();
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly heartbeats: HeartbeatLoop;

  private state: ClientState = 'idle';
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
    this.sampler = options.resourceSampler ?? new ResourceSampler();
    this.heartbeats = new HeartbeatLoop(
      (intervalMs) =>
        this.sendHeartbeat(intervalMs).catch((error: unknown) => {
          this.logger.error({ error: String(error) }, 'heartbeat failed unexpectedly');
        }),
      DEFAULT_HEARTBEAT_INTERVAL_MS,
    );
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
   * Runs a task through its handler, tracked for heartbeats and graceful stop. The
   * coordinator does not send tasks over the socket yet; when it does, the client will call
   * this itself. Refused once the client is stopping.
   */
  async runTask(task: AgentTask): Promise<unknown> {
    if (this.stopping) throw new AgentStoppedError('the agent is stopping and accepts no new task');
    const handler = this.handlers.get(task.type) ?? this.handlers.get(ANY_TASK_TYPE);
    if (!handler) throw new UnknownTaskTypeError(task.type);
    return this.tracker.run(task.id, (signal) =>
      handler(task, {
        taskId: task.id,
        signal,
        progress: (percent, message) => {
          const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
          this.emit('task-progress', { taskId: task.id, percent: clamped, ...(message === undefined ? {} : { message }) });
        },
      }),
    );
  }

  /**
   * Graceful stop: heartbeats stop, running tasks get up to stopTimeoutMs to finish (then
   * their signals abort), and the socket closes. Idempotent: every call returns the same
   * promise. Emits 'stopped' when done.
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
    const payload: RegisterPayload = { metadata: this.metadata };
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

  private isCurrentConnection(socket: AgentSocket, generation: number): boolean {
    return !this.stopping && socket.connected && generation === this.connectionGeneration;
  }

  private onRegistered(info: RegisteredInfo): void {
    this.info = info;
    this.state = 'registered';
    this.acksOnConnection = 0;
    const intervalMs = heartbeatIntervalFrom(info.heartbeat_interval_ms);
    this.logger.debug(
      { agent_id: info.agent_id, swarms: info.swarms.map((s) => s.swarm_id), heartbeat_interval_ms: intervalMs },
      'registered',
    );
    this.heartbeats.start(intervalMs);
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
    this.heartbeats.stop();
    if (this.state === 'registered') this.state = 'connecting';
    this.logger.debug({ reason }, 'disconnected');
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

  private async sendHeartbeat(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    // Never queue a heartbeat on a disconnected socket: socket.io would flush it on reconnect,
    // before the new registration.
    if (!socket?.connected || this.state !== 'registered') return;
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
    if (generation !== this.connectionGeneration || this.stopping) return;
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
      this.state = 'connecting';
      void this.register(socket, generation);
    }
  }

  private heartbeatPayload(): HeartbeatPayload {
    const resources = this.sampler.sample();
    return {
      status: this.tracker.isBusy ? 'busy' : 'idle',
      cpu_percent: resources.cpu_percent,
      memory_mb: resources.memory_mb,
      // Tasks accepted and not finished; every accepted task runs at once (see TaskTracker).
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
    this.heartbeats.stop();
    clearTimeout(this.reconnectTimer);
    // A connection lost while draining is not worth re-establishing.
    this.socket?.io.reconnection(false);
    this.firstRegistration?.reject(info.error ?? new AgentStoppedError(info.reason));
    if (this.tracker.isBusy) {
      this.logger.debug({ running: this.tracker.runningTaskIds, timeout_ms: this.stopTimeoutMs }, 'waiting for running tasks');
      const drained = await this.tracker.waitForIdle(this.stopTimeoutMs);
      if (!drained) {
        const aborted = this.tracker.abortAll(new AgentStoppedError(info.reason));
        this.logger.warn({ aborted, timeout_ms: this.stopTimeoutMs }, 'tasks still running at the stop deadline; aborted');
      }
    }
    const socket = this.socket;
    socket?.disconnect();
    socket?.removeAllListeners();
    socket?.io.removeAllListeners();
    this.state = 'stopped';
    this.logger.debug({ reason: info.reason, initiator: info.initiator }, 'stopped');
    this.emit('stopped', info);
  }
}

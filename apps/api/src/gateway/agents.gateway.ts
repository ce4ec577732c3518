import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { apiKeyMatchesHash, parseAgentToken } from '@swarm/auth';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import {
  AckResponse,
  AGENTS_NAMESPACE,
  AckError,
  HeartbeatAck,
  RegisteredInfo,
  RegisterMessage,
  socketRooms,
  TaskFailPayload,
  TASK_REPORT_BATCH_MAX,
  TaskProgressPayload,
  TaskReportAck,
  TaskReportBase,
  TaskReportBatchAck,
  TaskResultPayload,
  validateHeartbeat,
  validateTaskReport,
} from '@swarm/contracts';
import { AgentRepository, AgentWithSwarms, Prisma, PrismaService } from '@swarm/db';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, readStoredConfiguration } from '@swarm/domain';
import { AgentConnectionJobData, AgentHealthJobs, AgentLiveState, LocalSocketNamespaces, Queues, TaskDispatchStore, TaskReport, TaskReportKind, TaskReportStream } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { Queue } from 'bullmq';
import type { Namespace } from 'socket.io';
import { CastVote } from '../consensus/use-cases/cast-vote';
import { AgentServer, AgentSocket } from './agent-sockets';
import { SocketRateLimit } from './socket-rate-limit';
import { validateMessage } from './socket-validation';
import { DelegateSubtasks } from '../tasks/use-cases/delegate-subtasks';
import { SwarmMessageRouter } from './swarm-message-router';
import { TaskAssignmentRelay } from './task-assignment-relay';

/** Refusal reasons an agent sees in connect_error. One text for every token problem. */
export const INVALID_AGENT_TOKEN = 'invalid agent token';
const TASK_REPORT_KINDS: readonly TaskReportKind[] = ['ack', 'progress', 'result', 'fail'];
/** Per socket; far above what max_concurrency 1000 of instant tasks would send. */
const TASK_REPORTS_PER_SECOND = 5_000;
const MISSING_AGENT_TOKEN = 'missing agent token: connect with auth: { token }';
const NOT_REGISTERED: AckError = { code: 'not_registered', message: 'send agent.register before task reports' };

type CheckedReport = { ok: true; report: TaskReport } | { ok: false; error: AckError };

/**
 * Namespace /agents. Authentication happens in the handshake (socket.io middleware: Nest guards
 * do not run on connect); a token only ever acts as its own agent. Heartbeats touch Redis only.
 */
@WebSocketGateway({ namespace: AGENTS_NAMESPACE })
export class AgentsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(AgentsGateway.name);
  private readonly rateLimit: SocketRateLimit;

  constructor(
    private readonly agents: AgentRepository,
    private readonly prisma: PrismaService,
    private readonly live: AgentLiveState,
    private readonly dispatch: TaskDispatchStore,
    private readonly reports: TaskReportStream,
    private readonly assignments: TaskAssignmentRelay,
    private readonly votes: CastVote,
    private readonly messages: SwarmMessageRouter,
    private readonly delegation: DelegateSubtasks,
    @InjectQueue(Queues.AgentHealth) private readonly health: Queue<AgentConnectionJobData>,
    private readonly metrics: Metrics,
    private readonly namespaces: LocalSocketNamespaces,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.rateLimit = new SocketRateLimit({
      eventsPerSecond: config.sockets.eventsPerSecond,
      taskReportsPerSecond: TASK_REPORTS_PER_SECOND,
      floodStrikes: config.sockets.floodStrikes,
      onRefused: () => this.metrics.socketEventsRefused.inc(),
      onFlood: (socket, strikes) => {
        this.logger.warn({ agentId: socket.data.agentId, strikes }, 'agent socket flooding; disconnecting it');
        socket.emit('agent.error', { code: 'rate_limited', message: `disconnected after ${strikes} events over the rate limit` });
        socket.disconnect(true);
      },
    });
  }

  afterInit(server: AgentServer): void {
    // A namespaced gateway is handed its namespace, not the root server.
    this.assignments.start(server as unknown as Namespace);
    this.namespaces.attach(AGENTS_NAMESPACE, server as unknown as Namespace);
    server.use((socket, next) => {
      this.authenticate(socket as AgentSocket).then(
        (reason) => (reason ? next(new Error(reason)) : next()),
        (error: unknown) => {
          this.logger.error({ err: error }, 'agent handshake failed');
          // Not the token's fault: tell the agent to retry rather than give up (the SDK does).
          next(Object.assign(new Error('authentication is unavailable; retry later'), { data: { retryable: true } }));
        },
      );
    });
  }

  private async authenticate(socket: AgentSocket): Promise<string | null> {
    const token = (socket.handshake.auth as { token?: unknown })?.token;
    if (typeof token !== 'string' || token.length === 0) return MISSING_AGENT_TOKEN;
    const parsed = parseAgentToken(token);
    if (!parsed) return INVALID_AGENT_TOKEN;
    const agent = await this.agents.findByTokenPrefix(parsed.prefix);
    if (!agent?.tokenHash || !apiKeyMatchesHash(token, agent.tokenHash)) return INVALID_AGENT_TOKEN;
    socket.data = { agentId: agent.id, ownerId: agent.ownerId, registered: false, heartbeatIntervalMs: heartbeatIntervalOf(agent) };
    return null;
  }

  async handleConnection(socket: AgentSocket): Promise<void> {
    const { agentId } = socket.data;
    if (!agentId) return;
    this.rateLimit.attach(socket);
    // Heartbeats bypass Nest's per-message pipeline (context, rxjs): they are every agent's
    // every interval, and the plain listener allocates far less. The rate limit still applies.
    socket.on('agent.heartbeat', (payload, ack) => {
      if (typeof ack !== 'function') return;
      this.heartbeat(socket, payload).then(ack, (error: unknown) => {
        this.logger.error({ err: error, agentId }, 'heartbeat failed');
        ack({ ok: false, error: { code: 'internal', message: 'the heartbeat could not be recorded; retry' } });
      });
    });
    for (const kind of TASK_REPORT_KINDS) {
      socket.on(`task.${kind}`, (payload: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return;
        this.taskReport(socket, kind, payload).then(ack as (r: unknown) => void, (error: unknown) => {
          this.logger.error({ err: error, agentId, kind }, 'task report failed');
          (ack as (r: unknown) => void)({ ok: false, error: { code: 'internal', message: 'the report could not be stored; send it again' } });
        });
      });
    }
    socket.on('task.report.batch', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      this.taskReportBatch(socket, payload).then(ack as (r: unknown) => void, (error: unknown) => {
        this.logger.error({ err: error, agentId }, 'task report batch failed');
        (ack as (r: unknown) => void)({ ok: false, error: { code: 'internal', message: 'the reports could not be stored; send them again' } });
      });
    });
    socket.on('task.delegate', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (r: unknown) => void;
      if (!socket.data.registered) return reply({ ok: false, error: NOT_REGISTERED });
      this.delegation.execute(agentId, socket.data.ownerId, payload).then(reply, (error: unknown) => {
        this.logger.error({ err: error, agentId }, 'task delegation failed');
        reply({ ok: false, error: { code: 'internal', message: 'the subtasks could not be created; send the delegation again' } });
      });
    });
    socket.on('swarm.message', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (r: unknown) => void;
      if (!socket.data.registered) return reply({ ok: false, error: { code: 'not_registered', message: 'send agent.register before messages' } });
      this.messages.send(socket.nsp, agentId, payload).then(reply, (error: unknown) => {
        this.logger.error({ err: error, agentId }, 'swarm message failed');
        reply({ ok: false, error: { code: 'internal', message: 'the message could not be sent; send it again' } });
      });
    });
    socket.on('consensus.vote', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (r: unknown) => void;
      if (!socket.data.registered) return reply({ ok: false, error: { code: 'not_registered', message: 'send agent.register before votes' } });
      this.votes.execute(agentId, socket.data.ownerId, payload).then(reply, (error: unknown) => {
        this.logger.error({ err: error, agentId }, 'consensus vote failed');
        reply({ ok: false, error: { code: 'internal', message: 'the vote could not be recorded; send it again' } });
      });
    });
    this.metrics.connectedAgents.inc();
    // One live connection per agent: a second process with the same token replaces the first
    // (on whichever api copy it is). Done before joining, so the new socket is not among them.
    // The old one is told why, so its process stops instead of reconnecting and fighting back.
    const previous = await socket.nsp.in(socketRooms.agent(agentId)).fetchSockets();
    for (const old of previous) {
      if (old.id === socket.id) continue;
      old.emit('agent.stop', { reason: 'replaced by a newer connection of the same agent' });
      old.disconnect(true);
    }
    await socket.join(socketRooms.agent(agentId));
    const now = Date.now();
    await this.live.markConnected(agentId, socket.id, now);
    await this.notifyHealth(AgentHealthJobs.Connected, { agentId, at: now });
    this.logger.log({ agentId, socketId: socket.id }, 'agent connected');
  }

  async handleDisconnect(socket: AgentSocket): Promise<void> {
    const { agentId } = socket.data ?? {};
    if (!agentId) return;
    this.metrics.connectedAgents.dec();
    const now = Date.now();
    if (await this.live.markDisconnected(agentId, socket.id, now)) {
      await this.notifyHealth(AgentHealthJobs.Disconnected, { agentId, at: now, reason: 'socket disconnected' });
    }
    this.logger.log({ agentId, socketId: socket.id }, 'agent disconnected');
  }

  @SubscribeMessage('agent.register')
  async register(@ConnectedSocket() socket: AgentSocket, @MessageBody() payload: unknown): Promise<AckResponse<RegisteredInfo>> {
    const message = validateMessage(RegisterMessage, payload ?? {});
    if (!message.ok) return message;
    const { agentId } = socket.data;
    const update: Prisma.AgentUpdateInput = {};
    if (message.value.capabilities) update.capabilities = [...new Set(message.value.capabilities)];
    if (message.value.metadata) update.metadata = message.value.metadata as Prisma.InputJsonValue;
    if (Object.keys(update).length > 0) await this.prisma.agent.update({ where: { id: agentId }, data: update });
    const agent = await this.agents.withSwarms(agentId);
    if (!agent) return { ok: false, error: { code: 'forbidden', message: 'this agent no longer exists' } };
    socket.data.registered = true;
    socket.data.acceptsTaskBatches = message.value.accepts_task_batches === true;
    socket.data.heartbeatIntervalMs = heartbeatIntervalOf(agent);
    await this.live.markConnected(agentId, socket.id, Date.now());
    // Work may be waiting for exactly this agent. New capabilities change who may take what:
    // distributors must not keep planning with the roster they cached.
    const swarmIds = agent.memberships.filter((m) => m.status === 'active').map((m) => m.swarmId);
    await (update.capabilities ? this.dispatch.rosterChanged(swarmIds) : this.dispatch.signal(swarmIds));
    return {
      ok: true,
      data: {
        agent_id: agent.id,
        name: agent.name,
        capabilities: agent.capabilities,
        max_concurrency: agent.maxConcurrency,
        heartbeat_interval_ms: socket.data.heartbeatIntervalMs,
        swarms: agent.memberships.map((m) => {
          const config = readStoredConfiguration(m.swarm.configuration);
          return {
            swarm_id: m.swarmId,
            role: m.role,
            heartbeat_interval_ms: config.heartbeat_interval_ms,
            heartbeat_timeout_ms: config.heartbeat_timeout_ms,
          };
        }),
      },
    };
  }

  private async heartbeat(socket: AgentSocket, payload: unknown): Promise<AckResponse<HeartbeatAck>> {
    if (!socket.data.registered) {
      return { ok: false, error: { code: 'not_registered', message: 'send agent.register before heartbeats' } };
    }
    const stopTimer = this.metrics.heartbeatHandling.startTimer();
    const message = validateHeartbeat(payload);
    if (!message.ok) return message;
    const now = Date.now();
    await this.live.recordHeartbeat(socket.data.agentId, message.value, now);
    stopTimer();
    return { ok: true, data: { received_at: now, heartbeat_interval_ms: socket.data.heartbeatIntervalMs } };
  }

  /**
   * Stores a task report for the worker (one Redis stream append) if the attempt is still this
   * agent's, in one Redis call (TaskReportStream.appendHeld): a superseded attempt is told so at
   * once and drops its work. The worker decides for good against Postgres.
   */
  private async taskReport(socket: AgentSocket, kind: TaskReportKind, payload: unknown): Promise<AckResponse<TaskReportAck>> {
    if (!socket.data.registered) return { ok: false, error: NOT_REGISTERED };
    const now = Date.now();
    const checked = checkReport(socket.data.agentId, kind, payload, now);
    if (!checked.ok) return checked;
    const [held] = await this.reports.appendHeld(socket.data.agentId, [checked.report]);
    if (!held) return { ok: false, error: this.superseded(checked.report) };
    return { ok: true, data: { task_id: checked.report.taskId, received_at: now } };
  }

  /**
   * Many reports in one message: each checked as its single event would be, the attempts
   * looked up and the accepted ones stored as one stream entry (in order), in one Redis call.
   */
  private async taskReportBatch(socket: AgentSocket, payload: unknown): Promise<AckResponse<TaskReportBatchAck>> {
    if (!socket.data.registered) return { ok: false, error: NOT_REGISTERED };
    const items = (payload as { reports?: unknown } | null)?.reports;
    const extra = payload !== null && typeof payload === 'object' ? Object.keys(payload).filter((key) => key !== 'reports') : [];
    if (!Array.isArray(items) || items.length === 0 || items.length > TASK_REPORT_BATCH_MAX || extra.length > 0) {
      const message = extra.length > 0 ? extra.map((key) => `property ${key} should not exist`).join('; ') : `reports must be an array of 1 to ${TASK_REPORT_BATCH_MAX} reports`;
      return { ok: false, error: { code: 'validation_failed', message } };
    }
    const { agentId } = socket.data;
    const now = Date.now();
    const results: TaskReportBatchAck['results'] = new Array(items.length);
    const candidates: Array<{ index: number; report: TaskReport }> = [];
    items.forEach((item: unknown, index) => {
      const type = (item as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !TASK_REPORT_KINDS.includes(type as TaskReportKind)) {
        results[index] = { ok: false, error: { code: 'validation_failed', message: `reports.${index}.type: type must be one of ${TASK_REPORT_KINDS.join(', ')}` } };
        return;
      }
      const { type: _type, ...fields } = item as Record<string, unknown>;
      const checked = checkReport(agentId, type as TaskReportKind, fields, now);
      if (checked.ok) candidates.push({ index, report: checked.report });
      else results[index] = { ok: false, error: { ...checked.error, message: `reports.${index}: ${checked.error.message}` } };
    });
    const held = await this.reports.appendHeld(agentId, candidates.map((c) => c.report));
    candidates.forEach(({ index, report }, i) => {
      results[index] = held[i] ? { ok: true } : { ok: false, error: this.superseded(report) };
    });
    return { ok: true, data: { received_at: now, results } };
  }

  private superseded(report: TaskReport): AckError {
    this.metrics.taskReportsRejected.inc({ reason: 'superseded' });
    return { code: 'superseded', message: `attempt ${report.fencingToken} of task ${report.taskId} is not yours any more (finished, timed out or reassigned)` };
  }

  private async notifyHealth(job: string, data: AgentConnectionJobData): Promise<void> {
    try {
      await this.health.add(job, data, { removeOnComplete: 1_000, removeOnFail: 5_000, attempts: 3, backoff: { type: 'exponential', delay: 200 } });
    } catch (error) {
      // The periodic sweep notices the change anyway, just later.
      this.logger.warn({ err: error, agentId: data.agentId, job }, 'could not notify the health monitor');
    }
  }
}

/** The shortest interval among the agent's swarms, so it beats often enough for all of them. */
function heartbeatIntervalOf(agent: AgentWithSwarms): number {
  const intervals = agent.memberships.map((m) => readStoredConfiguration(m.swarm.configuration).heartbeat_interval_ms);
  return intervals.length > 0 ? Math.min(...intervals) : DEFAULT_HEARTBEAT_INTERVAL_MS;
}

function checkReport(agentId: string, kind: TaskReportKind, payload: unknown, now: number): CheckedReport {
  const checked = validateTaskReport(kind as 'ack', payload);
  if (!checked.ok) return checked;
  const report = checked.value as TaskReportBase & Partial<TaskResultPayload & TaskFailPayload & TaskProgressPayload>;
  let data: unknown;
  if (kind === 'result') data = report.result ?? null;
  else if (kind === 'fail') data = { error: report.error, retryable: report.retryable ?? true };
  else if (kind === 'progress') data = { percent: report.percent, message: report.message ?? null };
  return { ok: true, report: { kind, agentId, taskId: report.task_id, fencingToken: report.fencing_token, at: now, data } };
}

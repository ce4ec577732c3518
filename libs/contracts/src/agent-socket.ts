/**
 * The socket.io contract between the coordinator and agents (namespace /agents) and operators
 * (namespace /events): every event name and payload, both directions, in one place. The SDK,
 * the gateway and the tests all type their sockets with these maps.
 */
import type { SubtaskFinishedPayload, TaskDelegateAck, TaskDelegatePayload } from './delegation';
import type { SwarmMessageAck, SwarmMessageDelivery, SwarmMessageRequest, SwarmTopologyPayload } from './swarm-messaging';
import type { ConsensusClosedPayload, ConsensusRequestPayload, ConsensusVoteAck, ConsensusVotePayload, ConsensusVoteRejection } from './consensus';
export const AGENTS_NAMESPACE = '/agents';
export const EVENTS_NAMESPACE = '/events';

/** Statuses an agent may report for itself; the server derives the others (pending, unhealthy, stopped). */
export const REPORTABLE_AGENT_STATUSES = ['starting', 'idle', 'busy'] as const;
export type ReportableAgentStatus = (typeof REPORTABLE_AGENT_STATUSES)[number];

export interface AckError {
  code: 'validation_failed' | 'rate_limited' | 'not_registered' | 'forbidden' | 'not_found' | 'superseded' | 'internal' | 'forbidden_by_topology' | 'not_a_member' | ConsensusVoteRejection;
  message: string;
  details?: string[];
  /** forbidden_by_topology: the topology rule that refused the message. */
  rule?: string;
}
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type Ack<T> = (response: AckResponse<T>) => void;

export interface RegisterPayload {
  /** Replaces the capabilities stored at registration when given. */
  capabilities?: string[];
  /** Free-form facts about the running process (version, host, model...). */
  metadata?: Record<string, unknown>;
  /**
   * The agent understands `task.assign.batch`: several attempts for it that one distributor
   * pass assigned arrive in one message instead of one `task.assign` each.
   */
  accepts_task_batches?: boolean;
}

export interface AgentSwarmInfo {
  swarm_id: string;
  role: string;
  heartbeat_interval_ms: number;
  heartbeat_timeout_ms: number;
}

export interface RegisteredInfo {
  agent_id: string;
  name: string;
  capabilities: string[];
  max_concurrency: number;
  /** The shortest interval among the agent's swarms: beat at least this often. */
  heartbeat_interval_ms: number;
  swarms: AgentSwarmInfo[];
}

export interface HeartbeatPayload {
  status: ReportableAgentStatus;
  cpu_percent?: number;
  memory_mb?: number;
  queue_depth?: number;
  current_task_id?: string | null;
}

export interface HeartbeatAck {
  /** Server time in ms since the epoch, so agents can tell their clock skew. */
  received_at: number;
  heartbeat_interval_ms: number;
}

export interface StopPayload {
  reason: string;
  /** Set when the agent leaves only this swarm; absent when it must stop entirely. */
  swarm_id?: string;
}

/**
 * Server → agent: run this attempt of a task. Delivery is at-least-once: the same attempt may
 * arrive twice (same task_id and fencing_token; run it once). A new fencing_token for a task
 * the agent already runs means the old attempt was superseded: drop it and run the new one.
 */
export interface TaskAssignPayload {
  task_id: string;
  swarm_id: string;
  task_type: string;
  payload: unknown;
  priority: number;
  /** 1 for the first attempt. */
  attempt: number;
  max_attempts: number;
  /** The lease: every report about this attempt must carry it, or it is rejected. */
  fencing_token: string;
  timeout_ms: number;
  /** Send task.ack before this time (ms since the epoch) or the attempt is given to another agent. */
  ack_deadline: number;
}

/** Server → agent: several attempts in one message (only to agents that registered with accepts_task_batches). */
export interface TaskAssignBatchPayload {
  tasks: TaskAssignPayload[];
}

/** Server → agent: stop working on a task (cancelled, timed out, or reassigned). */
export interface TaskCancelPayload {
  task_id: string;
  fencing_token: string;
  reason: string;
}

/** Agent → server: every report names the attempt by its fencing token. */
export interface TaskReportBase {
  task_id: string;
  fencing_token: string;
}
/** The agent has the task and starts it. */
export type TaskAckPayload = TaskReportBase;
export interface TaskProgressPayload extends TaskReportBase {
  /** 0..100 */
  percent: number;
  message?: string;
}
export interface TaskResultPayload extends TaskReportBase {
  /** Any JSON value, size-limited like task payloads. */
  result?: unknown;
}
export interface TaskFailPayload extends TaskReportBase {
  error: string;
  /** false: do not retry (bad input, not the agent's fault). Default true. */
  retryable?: boolean;
}
/**
 * The server stored the report (it is then applied exactly once, or rejected if its attempt was
 * superseded). A report for an attempt known to be superseded is answered with error code
 * `superseded`: the agent should drop that work.
 */
export interface TaskReportAck {
  task_id: string;
  received_at: number;
}

/** One report inside `task.report.batch`: the single event's payload plus which kind it is. */
export type BatchedTaskReport =
  | ({ type: 'ack' } & TaskAckPayload)
  | ({ type: 'progress' } & TaskProgressPayload)
  | ({ type: 'result' } & TaskResultPayload)
  | ({ type: 'fail' } & TaskFailPayload);

/** Agent → server: up to TASK_REPORT_BATCH_MAX reports in one message, applied in order. */
export interface TaskReportBatchPayload {
  reports: BatchedTaskReport[];
}
export const TASK_REPORT_BATCH_MAX = 1_000;

/**
 * The answer to a batch: one outcome per report, in the order sent. Each means what the
 * answer to the single event would (a `superseded` one: drop that attempt's work).
 */
export interface TaskReportBatchAck {
  received_at: number;
  results: Array<{ ok: true } | { ok: false; error: AckError }>;
}

export interface AgentClientToServerEvents {
  'agent.register': (payload: RegisterPayload, ack: Ack<RegisteredInfo>) => void;
  'swarm.message': (payload: SwarmMessageRequest, ack: Ack<SwarmMessageAck>) => void;
  'task.delegate': (payload: TaskDelegatePayload, ack: Ack<TaskDelegateAck>) => void;
  'agent.heartbeat': (payload: HeartbeatPayload, ack: Ack<HeartbeatAck>) => void;
  'task.ack': (payload: TaskAckPayload, ack: Ack<TaskReportAck>) => void;
  'task.progress': (payload: TaskProgressPayload, ack: Ack<TaskReportAck>) => void;
  'task.result': (payload: TaskResultPayload, ack: Ack<TaskReportAck>) => void;
  'task.fail': (payload: TaskFailPayload, ack: Ack<TaskReportAck>) => void;
  'task.report.batch': (payload: TaskReportBatchPayload, ack: Ack<TaskReportBatchAck>) => void;
  'consensus.vote': (payload: ConsensusVotePayload, ack: Ack<ConsensusVoteAck>) => void;
}

export interface AgentServerToClientEvents {
  'agent.stop': (payload: StopPayload) => void;
  'task.assign': (payload: TaskAssignPayload) => void;
  'task.assign.batch': (payload: TaskAssignBatchPayload) => void;
  'task.cancel': (payload: TaskCancelPayload) => void;
  /** Sent just before the server drops a socket, saying why (rate limit, token revoked...). */
  'agent.error': (payload: AckError) => void;
  'consensus.request': (payload: ConsensusRequestPayload) => void;
  'consensus.closed': (payload: ConsensusClosedPayload) => void;
  'swarm.topology': (payload: SwarmTopologyPayload) => void;
  'swarm.message': (payload: SwarmMessageDelivery) => void;
  'task.subtask.finished': (payload: SubtaskFinishedPayload) => void;
}

/** A row of swarm_events as operators receive it live and page through it over REST. */
export interface SwarmEventMessage {
  id: string;
  swarm_id: string;
  type: string;
  agent_id: string | null;
  task_id: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

export interface SubscribePayload {
  swarm_id: string;
}

export interface OperatorClientToServerEvents {
  subscribe: (payload: SubscribePayload, ack: Ack<{ swarm_id: string }>) => void;
  unsubscribe: (payload: SubscribePayload, ack: Ack<{ swarm_id: string }>) => void;
}

export interface OperatorServerToClientEvents {
  'swarm.event': (event: SwarmEventMessage) => void;
}

/** Room names shared by the gateway (joins) and every publisher (emits through Redis). */
export const socketRooms = {
  agent: (agentId: string) => `agent:${agentId}`,
  swarmOperators: (swarmId: string) => `swarm:${swarmId}`,
};

export {
  AgentClient,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_REPORT_BYTES,
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_REPORT_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  MAX_ERROR_LENGTH,
  MAX_PROGRESS_MESSAGE_LENGTH,
  MIN_HEARTBEAT_INTERVAL_MS,
} from './agent-client';
export type { AgentClientEvents, AgentClientOptions, ReportRejection, StopInfo } from './agent-client';
export { DEFAULT_RECONNECT, reconnectDelay, resolveReconnectOptions } from './backoff';
export type { ReconnectOptions } from './backoff';
export * from './errors';
export { ConsensusDelegation, delegateTo } from './consensus';
export type { ConsensusClosed, ConsensusHandler, ConsensusRequest, ConsensusVoted, ConsensusVoteRejected } from './consensus';
export { silentLogger } from './logger';
export type { AgentLogger } from './logger';
export { PROGRESS_INTERVAL_MS } from './progress-throttle';
export { DEFAULT_REPORT_RETRY } from './report-outbox';
export type { TaskReport } from './report-outbox';
export { ResourceSampler, processProbes } from './resource-sampler';
export type { ResourceProbes, ResourceSample } from './resource-sampler';
export { compareFencingTokens } from './task-attempts';
export { TaskTracker } from './task-tracker';
export { ANY_TASK_TYPE } from './tasks';
export type {
  AgentTask,
  TaskAttemptInfo,
  TaskContext,
  TaskFinishedInfo,
  TaskHandler,
  TaskOutcome,
  TaskProgress,
  TaskStartedInfo,
} from './tasks';
export { AGENTS_NAMESPACE } from './contract';
export type {
  AckError,
  AgentSwarmInfo,
  HeartbeatAck,
  HeartbeatPayload,
  RegisteredInfo,
  StopPayload,
  SubtaskFinishedPayload,
  SubtaskOutcome,
  SubtaskSpec,
  SwarmMessageAck,
  SwarmMessageDelivery,
  SwarmTopologyPayload,
  TaskAssignPayload,
  TaskCancelPayload,
} from './contract';

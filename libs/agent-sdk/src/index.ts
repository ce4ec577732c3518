export { AgentClient, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_REGISTER_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS, MIN_HEARTBEAT_INTERVAL_MS } from './agent-client';
export type { AgentClientEvents, AgentClientOptions, StopInfo } from './agent-client';
export { DEFAULT_RECONNECT, reconnectDelay, resolveReconnectOptions } from './backoff';
export type { ReconnectOptions } from './backoff';
export * from './errors';
export { silentLogger } from './logger';
export type { AgentLogger } from './logger';
export { ResourceSampler, processProbes } from './resource-sampler';
export type { ResourceProbes, ResourceSample } from './resource-sampler';
export { TaskTracker } from './task-tracker';
export { ANY_TASK_TYPE } from './tasks';
export type { AgentTask, TaskContext, TaskHandler, TaskProgress } from './tasks';
export { AGENTS_NAMESPACE } from './contract';
export type {
  AckError,
  AgentSwarmInfo,
  HeartbeatAck,
  HeartbeatPayload,
  RegisteredInfo,
  StopPayload,
} from './contract';

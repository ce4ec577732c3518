/**
 * What an agent program registers to do work. The coordinator does not deliver tasks over the
 * socket yet; once the contract gains task events, the client will feed them to `runTask`
 * and carry `progress` and results back. Until then `runTask` is how an embedding program
 * (or a test) hands the client a task.
 */
export interface AgentTask<Payload = unknown> {
  id: string;
  /** Matched against the types given to onTask. */
  type: string;
  payload: Payload;
}

export interface TaskContext {
  readonly taskId: string;
  /** Aborted when the task is cancelled or the agent's graceful stop runs out of time. */
  readonly signal: AbortSignal;
  /**
   * Reports progress (0-100, clamped). Today it only raises the client's local
   * 'task-progress' event; it will be forwarded to the coordinator once the server sends
   * tasks, so handlers can call it already.
   */
  progress(percent: number, message?: string): void;
}

export type TaskHandler<Payload = unknown, Result = unknown> = (
  task: AgentTask<Payload>,
  context: TaskContext,
) => Promise<Result>;

/** Registering a handler under this type makes it handle every type without its own handler. */
export const ANY_TASK_TYPE = '*';

export interface TaskProgress {
  taskId: string;
  percent: number;
  message?: string;
}

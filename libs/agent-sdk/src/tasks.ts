import type { SubtaskOutcome, SubtaskSpec } from './contract';

/**
 * What an agent program registers to do work. The coordinator pushes attempts of tasks over
 * the socket (task.assign); the client acknowledges each, runs it through the handler
 * registered for its type and carries progress and the outcome back. `runTask` runs a task
 * without the coordinator, for programs that embed the client and for tests.
 */
export interface AgentTask<Payload = unknown> {
  id: string;
  /** Matched against the types given to onTask. */
  type: string;
  payload: Payload;
}

/** Which hand-out of a task this is, as the coordinator stated it in task.assign. */
export interface TaskAttemptInfo {
  /** The attempt's lease; every report carries it. A newer one means this attempt was replaced. */
  readonly fencingToken: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Empty for a task handed to runTask without one. */
  readonly swarmId: string;
  /** 1..10, higher first. */
  readonly priority: number;
  /**
   * How long the handler may run. When it passes the signal aborts with a TaskTimeoutError:
   * the coordinator has failed the attempt by then. Infinity when there is no limit.
   */
  readonly timeoutMs: number;
}

export interface TaskContext extends TaskAttemptInfo {
  readonly taskId: string;
  /**
   * Aborted when the coordinator cancels the attempt or replaces it with a newer one, when the
   * task's timeout passes, or when the agent's graceful stop runs out of time. The reason says
   * which (TaskCancelledError, TaskSupersededError, TaskTimeoutError, AgentStoppedError).
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress (0-100, clamped). Raises the client's 'task-progress' event on every call
   * and is forwarded to the coordinator at most a few times a second (the latest value always
   * gets through). Never blocks and never throws.
   */
  progress(percent: number, message?: string): void;
  /**
   * Splits this task into subtasks for the agents the swarm's topology lets this one hand work
   * to (hierarchical: its children; star: the coordinator's workers; mesh: any peer; ring: its
   * neighbours) and resolves with every subtask's outcome, in order, once all are final. Safe
   * across reconnects and retries: delegating the same task again returns the same subtasks.
   * Rejects with DelegationRefusedError when the topology (or the request) does not allow it.
   */
  delegate(subtasks: SubtaskSpec[]): Promise<SubtaskOutcome[]>;
}

/**
 * Does the work. Its resolved value is the task's result (any JSON value); throwing fails the
 * attempt, retryably unless the error is a NonRetryableTaskError.
 */
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

/** Emitted as 'task-started' when a handler begins an attempt. */
export interface TaskStartedInfo {
  taskId: string;
  taskType: string;
  fencingToken: string;
  attempt: number;
  swarmId: string;
}

/**
 * How an attempt ended here. completed/failed are reported to the coordinator; cancelled and
 * superseded runs are dropped (the coordinator no longer wants their outcome); rejected means
 * no handler took it at all (reported as a non-retryable failure).
 */
export type TaskOutcome = 'completed' | 'failed' | 'cancelled' | 'superseded' | 'rejected';

/** Emitted as 'task-finished' once an attempt's handler settled (or no handler took it). */
export interface TaskFinishedInfo extends TaskStartedInfo {
  outcome: TaskOutcome;
  durationMs: number;
  /** For failed and rejected: the message reported. */
  error?: string;
  /** For failed and rejected: what the coordinator is told about retrying. */
  retryable?: boolean;
}

import type { AckError } from './contract';

/**
 * The server refused the connection in its handshake middleware (bad or revoked token, agent
 * deleted...). socket.io does not retry after such a refusal, and neither does the client:
 * the same credentials would be refused again.
 */
export class ConnectionRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`the coordinator refused the connection: ${reason}`);
    this.name = 'ConnectionRefusedError';
  }
}

/** The server answered agent.register with an error. */
export class RegistrationError extends Error {
  readonly code: AckError['code'] | 'timeout';
  readonly details?: string[];

  constructor(error: AckError | { code: 'timeout'; message: string }) {
    super(`registration failed (${error.code}): ${error.message}`);
    this.name = 'RegistrationError';
    this.code = error.code;
    if ('details' in error && error.details) this.details = error.details;
  }
}

/** What the server said in agent.error just before dropping the socket. */
export class ServerReportedError extends Error {
  readonly code: AckError['code'];
  readonly details?: string[];

  constructor(error: AckError) {
    super(`the coordinator reported ${error.code}: ${error.message}`);
    this.name = 'ServerReportedError';
    this.code = error.code;
    if (error.details) this.details = error.details;
  }
}

/** The client was stopped (or is stopping) and cannot connect or accept tasks any more. */
export class AgentStoppedError extends Error {
  constructor(readonly reason: string) {
    super(`the agent client is stopped: ${reason}`);
    this.name = 'AgentStoppedError';
  }
}

/** No handler was registered with onTask for this task type (and none for ANY_TASK_TYPE). */
export class UnknownTaskTypeError extends Error {
  constructor(readonly taskType: string) {
    super(`no handler registered for task type "${taskType}"`);
    this.name = 'UnknownTaskTypeError';
  }
}

/** The same task id is already running here; running it twice would duplicate its effects. */
export class DuplicateTaskError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} is already running on this agent`);
    this.name = 'DuplicateTaskError';
  }
}

/**
 * Thrown by a task handler to say the task cannot succeed however often it is retried (bad
 * input, a resource that does not exist): the failure goes to the coordinator with
 * retryable=false, so the task fails now instead of using up its attempts. Any other error
 * is reported as retryable. An error from elsewhere carrying `retryable: false` counts too.
 */
export class NonRetryableTaskError extends Error {
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableTaskError';
  }
}

/** The abort reason when the coordinator cancels the attempt a handler runs. */
export class TaskCancelledError extends Error {
  constructor(
    readonly taskId: string,
    readonly reason: string,
  ) {
    super(`task ${taskId} was cancelled by the coordinator: ${reason}`);
    this.name = 'TaskCancelledError';
  }
}

/** The abort reason when a newer attempt of the same task replaced the one a handler runs. */
export class TaskSupersededError extends Error {
  constructor(
    readonly taskId: string,
    readonly fencingToken: string,
  ) {
    super(`attempt ${fencingToken} of task ${taskId} was superseded`);
    this.name = 'TaskSupersededError';
  }
}

/** The abort reason when a handler runs past the task's timeout_ms. */
export class TaskTimeoutError extends Error {
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`task ${taskId} did not finish within its timeout of ${timeoutMs} ms`);
    this.name = 'TaskTimeoutError';
  }
}

/** True when a handler's error says retrying cannot help (see NonRetryableTaskError). */
export function isNonRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableTaskError) return true;
  return typeof error === 'object' && error !== null && 'retryable' in error && error.retryable === false;
}

/** The coordinator refused an agent-to-agent message: the topology forbids it, or it was malformed. */
export class MessageRefusedError extends Error {
  readonly code: AckError['code'];
  /** forbidden_by_topology: the rule that refused it, e.g. ring.neighbours_only. */
  readonly rule?: string;

  constructor(error: AckError) {
    super(`message refused (${error.code}${error.rule ? `, ${error.rule}` : ''}): ${error.message}`);
    this.name = 'MessageRefusedError';
    this.code = error.code;
    if (error.rule) this.rule = error.rule;
  }
}

/** The coordinator refused a delegation: the topology gives this agent nobody to hand work to, or a subtask was malformed. */
export class DelegationRefusedError extends Error {
  readonly code: AckError['code'];
  readonly rule?: string;

  constructor(error: AckError) {
    super(`delegation refused (${error.code}${error.rule ? `, ${error.rule}` : ''}): ${error.message}`);
    this.name = 'DelegationRefusedError';
    this.code = error.code;
    if (error.rule) this.rule = error.rule;
  }
}

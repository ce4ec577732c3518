/** One subtask of a delegated task, as the delegating agent describes it. */
export interface SubtaskSpec {
  task_type: string;
  payload?: unknown;
  priority?: number;
  required_capabilities?: string[];
  max_attempts?: number;
  timeout_ms?: number;
}

/**
 * Agent → server `task.delegate`: split the attempt it holds into subtasks for the agents the
 * topology lets it hand work to (hierarchical: its children; star: the coordinator's workers;
 * mesh: any peer; ring: its neighbours). Sending it again for the same attempt (or a later
 * attempt of the same task) answers with the same subtasks: it is how a delegator catches up.
 */
export interface TaskDelegatePayload {
  task_id: string;
  fencing_token: string;
  subtasks: SubtaskSpec[];
}

export interface SubtaskOutcome {
  task_id: string;
  /** The agent it was handed to. */
  agent_id: string | null;
  status: 'pending' | 'queued' | 'assigned' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
  result: unknown;
  error: string | null;
}

export interface TaskDelegateAck {
  /** In the order given. */
  subtasks: SubtaskOutcome[];
  rule: string;
}

/** Server → agent `task.subtask.finished`: one of the subtasks it delegated is final. */
export interface SubtaskFinishedPayload extends SubtaskOutcome {
  parent_task_id: string;
}

export const DELEGATION_MAX_SUBTASKS = 100;

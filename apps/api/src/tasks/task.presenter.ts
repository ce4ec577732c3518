import type { TaskAttemptView, TaskDependencyView, TaskView } from '@swarm/contracts';
import type { TaskWithAttempts, TaskWithDependencies } from '@swarm/db';
import type { RedundancySpec } from '@swarm/domain';
import type { CreatedTask, SubmittedTask } from './use-cases/submit-tasks';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function dependencyViews(dependencies: ReadonlyArray<{ dependsOnTaskId: string; type: TaskDependencyView['type'] }>): TaskDependencyView[] {
  const views = new Array<TaskDependencyView>(dependencies.length);
  for (let i = 0; i < dependencies.length; i += 1) views[i] = { task_id: dependencies[i].dependsOnTaskId, type: dependencies[i].type };
  return views;
}

export function presentTask(task: TaskWithDependencies | TaskWithAttempts): TaskView {
  const view: TaskView = {
    id: task.id,
    swarm_id: task.swarmId,
    task_type: task.taskType,
    status: task.status,
    priority: task.priority,
    payload: task.payload,
    required_capabilities: task.requiredCapabilities,
    depends_on: dependencyViews(task.dependsOn),
    max_attempts: task.maxAttempts,
    attempt_count: task.attemptCount,
    timeout_ms: task.timeoutMs,
    idempotency_key: task.idempotencyKey,
    assigned_agent_id: task.assignedAgentId,
    wait_reason: task.waitReason,
    result: task.result ?? null,
    error: task.error,
    progress: task.progress,
    progress_message: task.progressMessage,
    created_at: task.createdAt.toISOString(),
    queued_at: iso(task.queuedAt),
    assigned_at: iso(task.assignedAt),
    started_at: iso(task.startedAt),
    completed_at: iso(task.completedAt),
  };
  if (task.parentTaskId !== null) view.parent_task_id = task.parentTaskId;
  if (task.redundancy !== null) {
    const spec = task.redundancy as unknown as RedundancySpec;
    view.redundancy = { replicas: spec.replicas, algorithm: spec.algorithm, threshold: spec.threshold ?? null, match_field: spec.matchField, agents: spec.agents };
    view.consensus = task.consensus ?? null;
  }
  if (task.pipeline !== null) view.pipeline = task.pipeline;
  if (task.verification !== null) view.verification = task.verification;
  if ('attempts' in task) {
    view.attempts = task.attempts.map(
      (a): TaskAttemptView => ({
        attempt: a.attemptNumber,
        agent_id: a.agentId,
        fencing_token: a.fencingToken.toString(),
        status: a.status,
        error: a.error,
        retryable: a.retryable,
        assigned_at: a.assignedAt.toISOString(),
        started_at: iso(a.startedAt),
        finished_at: iso(a.finishedAt),
      }),
    );
  }
  return view;
}

/**
 * The answer to a submission: a created task as presentTask would show it once stored (same
 * fields, same order), without reading it back; an idempotent repeat as stored.
 */
export function presentSubmittedTasks(tasks: readonly SubmittedTask[]): TaskView[] {
  const views = new Array<TaskView>(tasks.length);
  // Every task a request creates shares one creation time.
  let lastDate: Date | null = null;
  let lastIso = '';
  for (let i = 0; i < tasks.length; i += 1) {
    const task = tasks[i];
    if ((task as CreatedTask).kind !== 'created') {
      views[i] = presentTask(task as TaskWithDependencies);
      continue;
    }
    const created = task as CreatedTask;
    if (created.createdAt !== lastDate) {
      lastDate = created.createdAt;
      lastIso = lastDate.toISOString();
    }
    views[i] = {
      id: created.id,
      swarm_id: created.swarmId,
      task_type: created.taskType,
      status: created.status,
      priority: created.priority,
      payload: created.payload,
      required_capabilities: created.requiredCapabilities,
      depends_on: dependencyViews(created.dependencies),
      max_attempts: created.maxAttempts,
      attempt_count: 0,
      timeout_ms: created.timeoutMs,
      idempotency_key: created.idempotencyKey,
      assigned_agent_id: null,
      wait_reason: created.waitReason,
      result: null,
      error: created.error,
      progress: null,
      progress_message: null,
      created_at: lastIso,
      queued_at: created.status === 'queued' ? lastIso : null,
      assigned_at: null,
      started_at: null,
      completed_at: created.status === 'failed' ? lastIso : null,
    };
  }
  return views;
}

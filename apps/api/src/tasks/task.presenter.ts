import type { TaskAttemptView, TaskView } from '@swarm/contracts';
import type { TaskWithAttempts, TaskWithDependencies } from '@swarm/db';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentTask(task: TaskWithDependencies | TaskWithAttempts): TaskView {
  const view: TaskView = {
    id: task.id,
    swarm_id: task.swarmId,
    task_type: task.taskType,
    status: task.status,
    priority: task.priority,
    payload: task.payload,
    required_capabilities: task.requiredCapabilities,
    depends_on: task.dependsOn.map((d) => ({ task_id: d.dependsOnTaskId, type: d.type })),
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

import type { QueueableTask, RawSql } from '@swarm/db';
import type { TaskEffects } from './task-settlement';

/** The columns of a waiting (pending or queued) task that its ready-queue entry is made of. */
export interface WaitingTaskRow {
  id: string;
  swarm_id: string;
  task_type: string;
  priority: number;
  queued_at: Date;
  available_at: Date | null;
}

/** A waiting subtask that must now run on another agent (or any): stored, and queued to match. */
export async function repinWaitingTask(tx: RawSql, task: WaitingTaskRow, capabilities: string[], effects: TaskEffects): Promise<void> {
  await tx.$executeRaw`UPDATE tasks SET required_capabilities = ${capabilities}::text[], wait_reason = NULL, updated_at = clock_timestamp() WHERE id = ${task.id}::uuid`;
  requeueWithCapabilities(task, capabilities, effects);
}

/**
 * The ready-queue side of a re-pin. Re-queued by this very transaction (its attempt was lost):
 * the entry in hand is corrected; queued before: it moves from the old requirement class to
 * the new one.
 */
export function requeueWithCapabilities(task: WaitingTaskRow, capabilities: string[], effects: TaskEffects): void {
  const pending = effects.queue.find((t) => t.id === task.id);
  if (pending) pending.requiredCapabilities = capabilities;
  else {
    effects.forgetTask(task.swarm_id, task.id);
    const queueable: QueueableTask = {
      id: task.id,
      swarmId: task.swarm_id,
      taskType: task.task_type,
      priority: task.priority,
      requiredCapabilities: capabilities,
      queuedAt: task.queued_at,
      availableAt: task.available_at,
    };
    effects.queue.push(queueable);
  }
  effects.signal.add(task.swarm_id);
}

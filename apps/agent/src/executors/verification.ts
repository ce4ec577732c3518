import type { AgentTask, TaskContext } from '@swarm/agent-sdk';
import type { Executor } from './executor';

/** Checks of a leader-elected task's result come as `<task type>` + this suffix. */
const VERIFY_SUFFIX = '.verify';

/**
 * The check a leader-elected task sends its verifiers: the task as the leader got it, and the
 * leader's answer. Null for any other task.
 */
export function readVerification(task: AgentTask): { type: string; payload: unknown } | null {
  if (!task.type.endsWith(VERIFY_SUFFIX) || task.type.length === VERIFY_SUFFIX.length) return null;
  const payload = task.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const fields = payload as Record<string, unknown>;
  if (!('task' in fields) || fields.leader === null || typeof fields.leader !== 'object') return null;
  return { type: task.type.slice(0, -VERIFY_SUFFIX.length), payload: fields.task };
}

/**
 * Verifies by running the task again: the executors have no judgement of their own, so a
 * check is the verifier's own result, which the coordinator compares with the leader's (equal
 * approves). Deterministic executors (echo, hash, sleep) agree with an honest leader.
 */
export function verifyingByRerun(executor: Executor): Executor {
  return {
    name: executor.name,
    execute(task: AgentTask, context: TaskContext): Promise<unknown> {
      const check = readVerification(task);
      return executor.execute(check ? { ...task, type: check.type, payload: check.payload } : task, context);
    },
  };
}

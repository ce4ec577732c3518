import type { TaskContext } from '@swarm/agent-sdk';

/** A TaskContext as the SDK would build it, recording progress; for executor tests. */
export function contextFor(taskId: string, signal: AbortSignal = new AbortController().signal) {
  const progress: Array<[number, string | undefined]> = [];
  const context: TaskContext = {
    taskId,
    signal,
    fencingToken: '1',
    attempt: 1,
    maxAttempts: 3,
    swarmId: 'swarm-a',
    priority: 5,
    timeoutMs: 60_000,
    progress: (percent, message) => void progress.push([percent, message]),
    delegate: () => Promise.reject(new Error('executor tests run without a coordinator: nothing to delegate to')),
  };
  return { context, progress };
}

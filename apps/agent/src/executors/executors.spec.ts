import type { TaskContext } from '@swarm/agent-sdk';
import { createExecutor, EXECUTOR_NAMES } from '.';

function contextFor(taskId: string, signal: AbortSignal = new AbortController().signal) {
  const progress: Array<[number, string | undefined]> = [];
  const context: TaskContext = { taskId, signal, progress: (percent, message) => progress.push([percent, message]) };
  return { context, progress };
}

describe('executors', () => {
  it('are echo and sleep', () => {
    expect(EXECUTOR_NAMES).toEqual(['echo', 'sleep']);
  });

  it('echo returns the payload', async () => {
    const echo = createExecutor('echo', { sleepMs: 0 });
    const payload = { text: 'hello', nested: [1, 2] };
    await expect(echo.execute({ id: 't1', type: 'any', payload }, contextFor('t1').context)).resolves.toBe(payload);
  });

  it('sleep waits the default or payload.ms, then reports what it slept', async () => {
    const sleep = createExecutor('sleep', { sleepMs: 30 });
    const { context, progress } = contextFor('t1');
    const startedAt = performance.now();
    await expect(sleep.execute({ id: 't1', type: 'any', payload: null }, context)).resolves.toEqual({ slept_ms: 30 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(28);
    expect(progress).toEqual([[0, 'sleeping 30 ms'], [100, undefined]]);

    const fromPayload = performance.now();
    await expect(sleep.execute({ id: 't2', type: 'any', payload: { ms: 60 } }, contextFor('t2').context)).resolves.toEqual({ slept_ms: 60 });
    expect(performance.now() - fromPayload).toBeGreaterThanOrEqual(58);
  });

  it('sleep refuses an impossible payload.ms', async () => {
    const sleep = createExecutor('sleep', { sleepMs: 10 });
    await expect(sleep.execute({ id: 't1', type: 'any', payload: { ms: -1 } }, contextFor('t1').context)).rejects.toThrow(/payload.ms/);
    await expect(sleep.execute({ id: 't2', type: 'any', payload: { ms: '5' } }, contextFor('t2').context)).rejects.toThrow(/payload.ms/);
  });

  it('sleep ends early when the task is aborted', async () => {
    const sleep = createExecutor('sleep', { sleepMs: 60_000 });
    const controller = new AbortController();
    const running = sleep.execute({ id: 't1', type: 'any', payload: null }, contextFor('t1', controller.signal).context);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
  });
});

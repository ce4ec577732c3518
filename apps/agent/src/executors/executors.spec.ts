import { createHash } from 'node:crypto';
import { NonRetryableTaskError } from '@swarm/agent-sdk';
import { createExecutor, EXECUTOR_NAMES } from '.';
import { contextFor } from './test-context';

describe('executors', () => {
  it('are echo, sleep, hash, http and llm', () => {
    expect(EXECUTOR_NAMES).toEqual(['echo', 'sleep', 'hash', 'http', 'llm']);
  });

  it('llm cannot be created without its settings', () => {
    expect(() => createExecutor('llm', { sleepMs: 0 })).toThrow(/llm settings/);
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

  it('hash answers the sha256 chain of the data, reporting progress along the way', async () => {
    const hash = createExecutor('hash', { sleepMs: 0 });
    let expected = createHash('sha256').update('swarm', 'utf8').digest();
    for (let round = 1; round < 50_000; round++) expected = createHash('sha256').update(expected).digest();
    const { context, progress } = contextFor('t1');

    await expect(hash.execute({ id: 't1', type: 'any', payload: { data: 'swarm', iterations: 50_000 } }, context)).resolves.toEqual({
      algorithm: 'sha256',
      iterations: 50_000,
      digest: expected.toString('hex'),
    });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toEqual([100, undefined]);
    await expect(hash.execute({ id: 't2', type: 'any', payload: { data: 'swarm' } }, contextFor('t2').context)).resolves.toMatchObject({
      iterations: 1,
      digest: createHash('sha256').update('swarm').digest('hex'),
    });
  });

  it('hash refuses a bad payload for good, and stops when aborted', async () => {
    const hash = createExecutor('hash', { sleepMs: 0 });
    const refused = hash.execute({ id: 't1', type: 'any', payload: { data: 5, iterations: 0 } }, contextFor('t1').context);
    await expect(refused).rejects.toBeInstanceOf(NonRetryableTaskError);
    await expect(refused).rejects.toThrow(/payload\.data: .*; payload\.iterations: /);

    const controller = new AbortController();
    const running = hash.execute({ id: 't2', type: 'any', payload: { data: 'x', iterations: 10_000_000 } }, contextFor('t2', controller.signal).context);
    setTimeout(() => controller.abort(new Error('cancelled')), 20);
    await expect(running).rejects.toThrow('cancelled');
  });
});

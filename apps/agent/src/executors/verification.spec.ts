import { createExecutor } from '.';
import { contextFor } from './test-context';
import { readVerification, verifyingByRerun } from './verification';

describe('verification by re-running the task', () => {
  const check = { task: { coordination_id: 'c1', task: 'count words' }, leader: { agent_id: 'a', task_id: 't', result: { n: 2 } } };

  it('reads a check: the original type and payload', () => {
    expect(readVerification({ id: 'v', type: 'swarm.coordinate.verify', payload: check })).toEqual({ type: 'swarm.coordinate', payload: check.task });
  });

  it('leaves other tasks alone, also a .verify type without the check payload', () => {
    expect(readVerification({ id: 't', type: 'swarm.coordinate', payload: check })).toBeNull();
    expect(readVerification({ id: 't', type: 'x.verify', payload: { task: 1 } })).toBeNull();
    expect(readVerification({ id: 't', type: '.verify', payload: check })).toBeNull();
  });

  it('answers a check with its own run of the task, which for echo equals the leader’s', async () => {
    const echo = verifyingByRerun(createExecutor('echo', { sleepMs: 0 }));
    await expect(echo.execute({ id: 'v', type: 'swarm.coordinate.verify', payload: check }, contextFor('v').context)).resolves.toEqual(check.task);
    await expect(echo.execute({ id: 't', type: 'echo', payload: { a: 1 } }, contextFor('t').context)).resolves.toEqual({ a: 1 });
    expect(echo.name).toBe('echo');
  });
});

import { validateHeartbeat } from './heartbeat-validation';

describe('validateHeartbeat', () => {
  it('accepts a full and a minimal heartbeat', () => {
    const full = { status: 'busy', cpu_percent: 150.5, memory_mb: 80, queue_depth: 2, current_task_id: '01a200dc-eed9-72a4-b2b3-e586f8638bea' };
    expect(validateHeartbeat(full)).toEqual({ ok: true, value: full });
    expect(validateHeartbeat({ status: 'idle', current_task_id: null })).toMatchObject({ ok: true });
  });

  it('names every problem, unknown fields included', () => {
    const result = validateHeartbeat({ status: 'sleeping', cpu_percent: -1, memory_mb: 'lots', queue_depth: 1.5, current_task_id: 'x', colour: 'red' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.details).toEqual([
      'property colour should not exist',
      'status: status must be one of starting, idle, busy',
      'cpu_percent: cpu_percent must be a number between 0 and 100000',
      'memory_mb: memory_mb must be a number between 0 and 10000000',
      'queue_depth: queue_depth must be an integer between 0 and 1000000',
      'current_task_id: current_task_id must be a UUID or null',
    ]);
  });

  it('refuses non-objects, NaN and infinities', () => {
    for (const payload of [null, 'beat', 3, [], undefined]) {
      expect(validateHeartbeat(payload)).toMatchObject({ ok: false, error: { message: 'payload must be a JSON object' } });
    }
    expect(validateHeartbeat({ status: 'idle', cpu_percent: Number.NaN }).ok).toBe(false);
    expect(validateHeartbeat({ status: 'idle', memory_mb: Number.POSITIVE_INFINITY }).ok).toBe(false);
  });
});

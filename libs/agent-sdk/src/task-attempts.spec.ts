import { compareFencingTokens, readAssignment, readCancellation, RecentAttempts } from './task-attempts';

describe('fencing tokens', () => {
  it('compare as numbers, whatever their length', () => {
    expect(compareFencingTokens('10', '9')).toBeGreaterThan(0);
    expect(compareFencingTokens('9', '10')).toBeLessThan(0);
    expect(compareFencingTokens('12345678901234567890', '12345678901234567889')).toBeGreaterThan(0);
    expect(compareFencingTokens('7', '7')).toBe(0);
    // Not numbers: any different token is a newer one.
    expect(compareFencingTokens('b', 'a')).toBeGreaterThan(0);
    expect(compareFencingTokens('a', 'b')).toBeGreaterThan(0);
  });
});

describe('RecentAttempts', () => {
  it('keeps the newest token per task, for a while and up to a number of tasks', () => {
    let now = 0;
    const recent = new RecentAttempts({ ttlMs: 1_000, maxEntries: 2 }, () => now);
    recent.remember('a', '5');
    recent.remember('a', '3');
    expect(recent.tokenOf('a')).toBe('5');
    now = 500;
    recent.remember('b', '1');
    recent.remember('c', '1');
    expect(recent.tokenOf('a')).toBeUndefined();
    expect(recent.size).toBe(2);
    now = 1_600;
    expect(recent.tokenOf('b')).toBeUndefined();
    expect(recent.size).toBe(0);
  });
});

describe('reading task events', () => {
  it('fills in what an assignment leaves out and refuses one without id or token', () => {
    expect(readAssignment({ task_id: 't', fencing_token: '3', payload: { a: 1 } })).toEqual({
      taskId: 't',
      taskType: '',
      payload: { a: 1 },
      fencingToken: '3',
      attempt: 1,
      maxAttempts: 1,
      swarmId: '',
      priority: 5,
      timeoutMs: Infinity,
    });
    expect(readAssignment({ task_id: 't', fencing_token: '' })).toBeUndefined();
    expect(readAssignment('nonsense')).toBeUndefined();
    expect(readCancellation({ task_id: 't', fencing_token: '3' })).toEqual({ taskId: 't', fencingToken: '3', reason: 'cancelled' });
    expect(readCancellation({ task_id: 't' })).toBeUndefined();
  });
});

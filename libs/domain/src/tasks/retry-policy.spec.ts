import { decideAfterFailure, retryDelayMs } from './retry-policy';

describe('retryDelayMs', () => {
  const middle = { random: () => 0.5 };

  it('doubles from one second per attempt, capped at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    expect(retryDelayMs(5_000, middle)).toBe(60_000);
  });

  it('spreads by ±20 % by default, never beyond the cap', () => {
    expect(retryDelayMs(1, { random: () => 0 })).toBe(800);
    expect(retryDelayMs(1, { random: () => 1 })).toBe(1_200);
    expect(retryDelayMs(3, { random: () => 0.75 })).toBe(4_400);
    expect(retryDelayMs(10, { random: () => 0 })).toBe(48_000);
    expect(retryDelayMs(10, { random: () => 1 })).toBe(60_000);
  });

  it('stays within the jitter band with the real random source', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(2);
      expect(delay).toBeGreaterThanOrEqual(1_600);
      expect(delay).toBeLessThanOrEqual(2_400);
    }
  });

  it('takes a base, a cap and a jitter', () => {
    expect(retryDelayMs(3, { baseMs: 100, maxMs: 1_000, jitter: 0, random: () => 0 })).toBe(400);
    expect(retryDelayMs(5, { baseMs: 100, maxMs: 1_000, jitter: 0 })).toBe(1_000);
    expect(retryDelayMs(1, { jitter: 0.5, random: () => 0 })).toBe(500);
    expect(retryDelayMs(40, { baseMs: 0, random: () => 0.9 })).toBe(0);
  });

  it('treats a nonsense attempt number as the first', () => {
    expect(retryDelayMs(0, middle)).toBe(1_000);
    expect(retryDelayMs(Number.NaN, middle)).toBe(1_000);
  });
});

describe('decideAfterFailure', () => {
  it('retries a retryable failure while attempts remain', () => {
    expect(decideAfterFailure({ attemptCount: 1, maxAttempts: 3, retryable: true })).toEqual({ retry: true });
    expect(decideAfterFailure({ attemptCount: 2, maxAttempts: 3, retryable: true })).toEqual({ retry: true });
  });

  it('stops when out of attempts', () => {
    expect(decideAfterFailure({ attemptCount: 3, maxAttempts: 3, retryable: true })).toEqual({ retry: false, reason: 'out of attempts (3 of 3)' });
    expect(decideAfterFailure({ attemptCount: 1, maxAttempts: 1, retryable: true }).retry).toBe(false);
  });

  it('stops on a non-retryable failure whatever attempts remain', () => {
    expect(decideAfterFailure({ attemptCount: 1, maxAttempts: 5, retryable: false })).toEqual({ retry: false, reason: 'the failure is not retryable' });
  });
});

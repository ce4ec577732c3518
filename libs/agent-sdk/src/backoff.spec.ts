import { DEFAULT_RECONNECT, reconnectDelay, resolveReconnectOptions, toSocketReconnectionSettings } from './backoff';

describe('reconnect backoff', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
  const middle = () => 0.5; // no jitter: exactly the nominal delay

  it('doubles from the initial delay up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelay(attempt, options, middle))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads each delay by ±50 % and never exceeds the ceiling', () => {
    expect(reconnectDelay(2, options, () => 0)).toBe(100);
    expect(reconnectDelay(2, options, () => 0.999_999)).toBe(300);
    expect(reconnectDelay(10, options, () => 0.999_999)).toBe(1_000);
    expect(reconnectDelay(10, options, () => 0)).toBe(500);
  });

  it('fills in defaults and keeps the ceiling above a large initial delay', () => {
    expect(resolveReconnectOptions()).toEqual(DEFAULT_RECONNECT);
    expect(resolveReconnectOptions({ initialDelayMs: 20_000 })).toEqual({ initialDelayMs: 20_000, maxDelayMs: 20_000 });
  });

  it('rejects settings that would spin or make no sense', () => {
    expect(() => resolveReconnectOptions({ initialDelayMs: 0 })).toThrow(/initialDelayMs/);
    expect(() => resolveReconnectOptions({ initialDelayMs: Number.NaN })).toThrow(/initialDelayMs/);
    expect(() => resolveReconnectOptions({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
  });

  it('configures socket.io to retry forever on the same curve', () => {
    expect(toSocketReconnectionSettings(options)).toEqual({
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1_000,
      randomizationFactor: 0.5,
    });
  });
});

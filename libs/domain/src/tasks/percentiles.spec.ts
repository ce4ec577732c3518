import { percentile, summarize } from './percentiles';

// Expected values are what Postgres gives for percentile_cont(p) WITHIN GROUP (ORDER BY v).
describe('percentile', () => {
  it('interpolates linearly between ranks', () => {
    const values = [1, 2, 3, 4];
    expect(percentile(values, 0.5)).toBeCloseTo(2.5);
    expect(percentile(values, 0.95)).toBeCloseTo(3.85);
    expect(percentile(values, 0.99)).toBeCloseTo(3.97);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 1)).toBe(4);
  });

  it('matches known values over 1..100', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBeCloseTo(50.5);
    expect(percentile(values, 0.95)).toBeCloseTo(95.05);
    expect(percentile(values, 0.99)).toBeCloseTo(99.01);
  });

  it('returns the only value, or null for none', () => {
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('rejects p outside 0..1', () => {
    expect(() => percentile([1], 95)).toThrow(RangeError);
    expect(() => percentile([1], -0.1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts a copy and reports count, percentiles and mean', () => {
    const values = [40, 10, 30, 20];
    expect(summarize(values)).toEqual({ count: 4, p50: 25, p95: expect.closeTo(38.5), p99: expect.closeTo(39.7), mean: 25 });
    expect(values).toEqual([40, 10, 30, 20]);
  });

  it('sorts numerically, not as text', () => {
    expect(summarize([100, 9, 20]).p50).toBe(20);
  });

  it('gives nulls for no values', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null, p99: null, mean: null });
  });
});

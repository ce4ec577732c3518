import { compareDispatchOrder, readyScore, requirementClass } from './task-ordering';
import { DispatchTask } from './task.types';

describe('readyScore', () => {
  const day = 86_400_000;
  const now = Date.UTC(2026, 10, 22);

  it('puts priority 10 at the bare time and each step lower 2^42 later', () => {
    expect(readyScore(10, now)).toBe(now);
    expect(readyScore(9, 0)).toBe(2 ** 42);
    expect(readyScore(1, now)).toBe(9 * 2 ** 42 + now);
  });

  it('orders by priority first, then age', () => {
    expect(readyScore(6, now + 365 * day)).toBeLessThan(readyScore(5, 0));
    expect(readyScore(5, now)).toBeLessThan(readyScore(5, now + 1));
  });

  it('stays an exact integer, as Redis needs', () => {
    expect(Number.isSafeInteger(readyScore(1, 2 ** 42 - 1))).toBe(true);
  });

  it('rejects what it cannot order', () => {
    expect(() => readyScore(0, now)).toThrow(RangeError);
    expect(() => readyScore(11, now)).toThrow(RangeError);
    expect(() => readyScore(5.5, now)).toThrow(RangeError);
    expect(() => readyScore(5, -1)).toThrow(RangeError);
    expect(() => readyScore(5, 2 ** 42)).toThrow(RangeError);
  });
});

describe('requirementClass', () => {
  it('is the sorted, de-duplicated list joined by commas', () => {
    expect(requirementClass(['python', 'gpu', 'python'])).toBe('gpu,python');
    expect(requirementClass(['gpu', 'python'])).toBe(requirementClass(['python', 'gpu']));
  });

  it('is * for no requirement', () => {
    expect(requirementClass([])).toBe('*');
  });

  it('sorts by code unit, whatever the locale', () => {
    expect(requirementClass(['b', 'B', 'a', 'translate:fr', 'translate/de'])).toBe('B,a,b,translate/de,translate:fr');
  });
});

describe('compareDispatchOrder', () => {
  const t = (id: string, priority: number, queuedAt: number): DispatchTask => ({ id, priority, queuedAt, taskType: 'x', requiredCapabilities: [] });

  it('sorts by priority desc, then queuedAt asc, then id', () => {
    const sorted = [t('c', 5, 1), t('b', 5, 1), t('a', 5, 2), t('d', 9, 9)].sort(compareDispatchOrder);
    expect(sorted.map((x) => x.id)).toEqual(['d', 'b', 'c', 'a']);
  });
});

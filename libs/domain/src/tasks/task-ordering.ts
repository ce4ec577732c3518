import { DispatchTask, TASK_PRIORITY } from './task.types';

/**
 * 2^42 ms is about 139 years: every queued time until 2109 fits below it, so one priority step
 * outweighs any age difference. The largest score, 9 * 2^42 + 2^42 < 2^46, stays far inside a
 * double's exact integers, which is what Redis stores a sorted-set score as.
 */
const PRIORITY_STEP = 2 ** 42;

/**
 * Score of a task in a ready queue or backlog (lower first): higher priority first, then older.
 * Throws on values outside the range the encoding can order correctly; callers validate first.
 */
export function readyScore(priority: number, queuedAtMs: number): number {
  if (!Number.isInteger(priority) || priority < TASK_PRIORITY.min || priority > TASK_PRIORITY.max) {
    throw new RangeError(`priority must be an integer ${TASK_PRIORITY.min}..${TASK_PRIORITY.max}, got ${priority}`);
  }
  if (!Number.isFinite(queuedAtMs) || queuedAtMs < 0 || queuedAtMs >= PRIORITY_STEP) {
    throw new RangeError(`queuedAtMs must be within 0..2^42, got ${queuedAtMs}`);
  }
  return (TASK_PRIORITY.max - priority) * PRIORITY_STEP + queuedAtMs;
}

/**
 * Code-unit order, not localeCompare: every worker copy must sort ids the same way whatever
 * its ICU data, and Redis breaks score ties by byte order, which this matches for ASCII ids.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order the ready queues give: priority desc, then queuedAt asc, then id. */
export function compareDispatchOrder(a: DispatchTask, b: DispatchTask): number {
  return b.priority - a.priority || a.queuedAt - b.queuedAt || compareText(a.id, b.id);
}

/** Sorted and de-duplicated, so that two spellings of one requirement are one requirement. */
export function normaliseCapabilities(capabilities: readonly string[]): string[] {
  return [...new Set(capabilities)].sort(compareText);
}

/**
 * Key of a requirement class (names a ready queue): the sorted, de-duplicated capabilities
 * joined by ',', or '*' for none. Assumes capability names follow the contract in
 * libs/contracts (`/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/`), so they never contain ',' or '*'
 * and never are empty: distinct lists always give distinct keys.
 */
export function requirementClass(capabilities: readonly string[]): string {
  const sorted = normaliseCapabilities(capabilities);
  return sorted.length === 0 ? '*' : sorted.join(',');
}

/**
 * Orders two fencing tokens of the same task: negative when `a` is older, 0 when they are the
 * same attempt, positive when `a` is newer. Tokens are decimal numbers from one counter that
 * only grows (docs/TASKS.md), compared as such: "10" is newer than "9". Should a token ever
 * not be a number, any different token counts as newer, as the contract says of a new one.
 */
export function compareFencingTokens(a: string, b: string): number {
  if (a === b) return 0;
  const decimal = /^\d+$/;
  if (!decimal.test(a) || !decimal.test(b)) return 1;
  const left = BigInt(a);
  const right = BigInt(b);
  return left === right ? 0 : left > right ? 1 : -1;
}

export interface RecentAttemptsOptions {
  /** How long an attempt is remembered after it ended. */
  ttlMs: number;
  /** At most this many tasks are remembered; the oldest go first. */
  maxEntries: number;
}

export const DEFAULT_RECENT_ATTEMPTS: Readonly<RecentAttemptsOptions> = Object.freeze({ ttlMs: 10 * 60_000, maxEntries: 10_000 });

/**
 * The newest attempt of each task this agent finished, dropped or was told to cancel, for a
 * while. Delivery of task.assign is at-least-once: a copy arriving after the attempt ended
 * must not run it a second time, and neither must a late copy of an older attempt.
 */
export class RecentAttempts {
  /** Task id → newest token and when it was recorded; Map order is recording order. */
  private readonly entries = new Map<string, { token: string; at: number }>();

  constructor(
    private readonly options: RecentAttemptsOptions = DEFAULT_RECENT_ATTEMPTS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The newest token remembered for the task, if any. */
  tokenOf(taskId: string): string | undefined {
    this.prune();
    return this.entries.get(taskId)?.token;
  }

  /** Records that the attempt ended here; an older token never replaces a newer one. */
  remember(taskId: string, token: string): void {
    const known = this.entries.get(taskId);
    if (known && compareFencingTokens(token, known.token) < 0) return;
    // Deleted first so the entry moves to the end: the Map stays ordered by recording time.
    this.entries.delete(taskId);
    this.entries.set(taskId, { token, at: this.now() });
    this.prune();
  }

  private prune(): void {
    const expiredBefore = this.now() - this.options.ttlMs;
    for (const [taskId, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && entry.at >= expiredBefore) break;
      this.entries.delete(taskId);
    }
  }
}

/** A task.assign as the client uses it: the fields it cannot do without are checked, the rest defaulted. */
export interface Assignment {
  taskId: string;
  taskType: string;
  payload: unknown;
  fencingToken: string;
  attempt: number;
  maxAttempts: number;
  swarmId: string;
  priority: number;
  /** Infinity when the coordinator stated no usable limit. */
  timeoutMs: number;
}

/**
 * Reads a task.assign. Without a task id and a fencing token nothing can even be reported
 * about it, so it is undefined; a missing type is left empty (no handler takes it, and the
 * failure says so).
 */
export function readAssignment(raw: unknown): Assignment | undefined {
  if (!isRecord(raw) || !isText(raw.task_id) || !isText(raw.fencing_token)) return undefined;
  return {
    taskId: raw.task_id,
    taskType: typeof raw.task_type === 'string' ? raw.task_type : '',
    payload: raw.payload,
    fencingToken: raw.fencing_token,
    attempt: wholeNumber(raw.attempt, 1),
    maxAttempts: wholeNumber(raw.max_attempts, wholeNumber(raw.attempt, 1)),
    swarmId: typeof raw.swarm_id === 'string' ? raw.swarm_id : '',
    priority: typeof raw.priority === 'number' && Number.isFinite(raw.priority) ? raw.priority : 5,
    timeoutMs: typeof raw.timeout_ms === 'number' && Number.isFinite(raw.timeout_ms) && raw.timeout_ms > 0 ? raw.timeout_ms : Infinity,
  };
}

export interface Cancellation {
  taskId: string;
  fencingToken: string;
  reason: string;
}

export function readCancellation(raw: unknown): Cancellation | undefined {
  if (!isRecord(raw) || !isText(raw.task_id) || !isText(raw.fencing_token)) return undefined;
  return { taskId: raw.task_id, fencingToken: raw.fencing_token, reason: typeof raw.reason === 'string' ? raw.reason : 'cancelled' };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function wholeNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

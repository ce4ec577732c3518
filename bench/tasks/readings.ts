/**
 * What the task benchmark reads from Postgres: progress while a phase runs (counts by status),
 * and afterwards every submitted task's timestamps and attempts, checked for exactly-once.
 */
import type { Client } from 'pg';
import { log, percentileOfSorted, sleep } from '../common/util';
import type { Receipts } from './protocol';

const FINAL_STATUSES = ['completed', 'failed', 'cancelled', 'timed_out'];

export interface Progress {
  completed: number;
  /** Final but not completed (failed, cancelled, timed_out). */
  otherFinal: number;
  /** ms since the epoch of the latest completion, or null before the first. */
  lastCompletedAt: number | null;
}

export type ProgressReader = () => Promise<Progress>;

/** The engine's tasks of one type in one swarm (each phase uses its own task type). */
export function engineProgress(pg: Client, swarmId: string, taskType: string): ProgressReader {
  return async () => {
    const result = await pg.query<{ status: string; n: number; last_ms: number | null }>(
      `SELECT status::text AS status, count(*)::int AS n, (extract(epoch FROM max(completed_at)) * 1000)::float8 AS last_ms
         FROM tasks WHERE swarm_id = $1 AND task_type = $2 GROUP BY status`,
      [swarmId, taskType],
    );
    return progressFrom(result.rows);
  };
}

function progressFrom(rows: ReadonlyArray<{ status: string; n: number; last_ms: number | null }>): Progress {
  let completed = 0;
  let otherFinal = 0;
  let lastCompletedAt: number | null = null;
  for (const row of rows) {
    if (row.status === 'completed') {
      completed += row.n;
      lastCompletedAt = row.last_ms;
    } else if (FINAL_STATUSES.includes(row.status)) {
      otherFinal += row.n;
    }
  }
  return { completed, otherFinal, lastCompletedAt };
}

/** The baseline's bench_tasks rows of one phase. */
export function baselineProgress(pg: Client, phase: string): ProgressReader {
  return async () => {
    const result = await pg.query<{ status: string; n: number; last_ms: number | null }>(
      `SELECT status, count(*)::int AS n, (extract(epoch FROM max(completed_at)) * 1000)::float8 AS last_ms
         FROM bench_tasks WHERE phase = $1 GROUP BY status`,
      [phase],
    );
    return progressFrom(result.rows);
  };
}

export interface WaitOutcome {
  progress: Progress;
  /** False when nothing moved for the stall limit (or the hard limit passed) before all were final. */
  finished: boolean;
  /** ms since the epoch when the wait ended. */
  endedAt: number;
}

/**
 * Polls until `expected` tasks are final. Gives up when the count has not moved for `stallMs`:
 * a hung pipeline must end in a report (with the missing tasks), not in a time-out.
 * `status()` supplies the rest of the progress line (submitted, received...); `signal` ends
 * the wait early (with its reason) when the phase failed otherwise.
 */
export async function waitForFinal(
  read: ProgressReader,
  expected: () => number,
  submissionDone: () => boolean,
  stallMs: number,
  pollMs: number,
  status: (progress: Progress) => string,
  signal?: AbortSignal,
): Promise<WaitOutcome> {
  let last: Progress = { completed: 0, otherFinal: 0, lastCompletedAt: null };
  let lastMoveAt = Date.now();
  let lastLogAt = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    const progress = await read();
    const now = Date.now();
    if (progress.completed + progress.otherFinal !== last.completed + last.otherFinal) lastMoveAt = now;
    last = progress;
    const done = submissionDone() && progress.completed + progress.otherFinal >= expected();
    if (done || now - lastLogAt >= 1_000) {
      log(status(progress));
      lastLogAt = now;
    }
    if (done) return { progress, finished: true, endedAt: now };
    if (submissionDone() && now - lastMoveAt > stallMs) {
      log(`no task finished for ${Math.round(stallMs / 1000)} s: giving up on the ${expected() - progress.completed - progress.otherFinal} still open`);
      return { progress, finished: false, endedAt: now };
    }
    await sleep(pollMs);
  }
}

export interface TaskRow {
  id: string;
  status: string;
  createdMs: number;
  queuedMs: number | null;
  assignedMs: number | null;
  completedMs: number | null;
  attempts: number;
  completedAttempts: number;
  /** The (first) completed attempt's assigned_at and finished_at: how long it held the agent's slot. */
  attemptAssignedMs: number | null;
  attemptFinishedMs: number | null;
}

/** Every submitted task's row with its attempt counts, straight from the tables (not the API). */
export async function taskRows(pg: Client, ids: readonly string[]): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  const CHUNK = 10_000;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const result = await pg.query<{
      id: string;
      status: string;
      created_ms: number;
      queued_ms: number | null;
      assigned_ms: number | null;
      completed_ms: number | null;
      attempts: number;
      completed_attempts: number;
      attempt_assigned_ms: number | null;
      attempt_finished_ms: number | null;
    }>(
      `SELECT t.id::text AS id, t.status::text AS status,
              (extract(epoch FROM t.created_at) * 1000)::float8 AS created_ms,
              (extract(epoch FROM t.queued_at) * 1000)::float8 AS queued_ms,
              (extract(epoch FROM t.assigned_at) * 1000)::float8 AS assigned_ms,
              (extract(epoch FROM t.completed_at) * 1000)::float8 AS completed_ms,
              coalesce(a.attempts, 0)::int AS attempts,
              coalesce(a.completed, 0)::int AS completed_attempts,
              (extract(epoch FROM a.assigned_at) * 1000)::float8 AS attempt_assigned_ms,
              (extract(epoch FROM a.finished_at) * 1000)::float8 AS attempt_finished_ms
         FROM tasks t
         LEFT JOIN (SELECT task_id, count(*) AS attempts, count(*) FILTER (WHERE status = 'completed') AS completed,
                           min(assigned_at) FILTER (WHERE status = 'completed') AS assigned_at,
                           min(finished_at) FILTER (WHERE status = 'completed') AS finished_at
                      FROM task_attempts WHERE task_id = ANY($1::uuid[]) GROUP BY task_id) a ON a.task_id = t.id
        WHERE t.id = ANY($1::uuid[])`,
      [chunk],
    );
    for (const r of result.rows) {
      rows.push({
        id: r.id,
        status: r.status,
        createdMs: r.created_ms,
        queuedMs: r.queued_ms,
        assignedMs: r.assigned_ms,
        completedMs: r.completed_ms,
        attempts: r.attempts,
        completedAttempts: r.completed_attempts,
        attemptAssignedMs: r.attempt_assigned_ms,
        attemptFinishedMs: r.attempt_finished_ms,
      });
    }
  }
  return rows;
}

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 0.5),
    p99: percentileOfSorted(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

export interface Verification {
  submitted: number;
  /** Ids the API returned twice (two submitted tasks with one id). */
  duplicateIds: number;
  /** Submitted ids with no row in Postgres. */
  missing: number;
  /** Rows not in status completed, by status. */
  notCompleted: Record<string, number>;
  /** Completed rows without a completed attempt, or with more than one. */
  noCompletedAttempt: number;
  moreThanOneCompletedAttempt: number;
  /** Tasks that needed more than one attempt (not a violation by itself). */
  retried: number;
  /** Completed in Postgres, but no agent of the fleet ever ran it. */
  completedWithoutReceipt: number;
  /** Handler runs of a task that had already run (re-deliveries, retries). */
  repeatedRuns: number;
  /** A few offending ids per kind, to look at. */
  samples: Record<string, string[]>;
  /** True when every submitted id completed exactly once (and was run by an agent to get there). */
  pass: boolean;
}

const SAMPLE_IDS = 5;

export function verify(submitted: readonly string[], rows: readonly TaskRow[], receipts: ReadonlyMap<string, number> | null, repeated: Receipts['repeated'] | null): Verification {
  const samples: Record<string, string[]> = {};
  const note = (kind: string, id: string): void => {
    const list = (samples[kind] ??= []);
    if (list.length < SAMPLE_IDS) list.push(id);
  };
  const unique = new Set(submitted);
  const byId = new Map(rows.map((r) => [r.id, r]));
  let missing = 0;
  for (const id of unique) {
    if (!byId.has(id)) {
      missing += 1;
      note('missing', id);
    }
  }
  const notCompleted: Record<string, number> = {};
  let noCompletedAttempt = 0;
  let moreThanOne = 0;
  let retried = 0;
  let withoutReceipt = 0;
  for (const row of rows) {
    if (row.status !== 'completed') {
      notCompleted[row.status] = (notCompleted[row.status] ?? 0) + 1;
      note(`status ${row.status}`, row.id);
    } else if (row.completedAttempts === 0) {
      noCompletedAttempt += 1;
      note('completed without a completed attempt', row.id);
    }
    if (row.completedAttempts > 1) {
      moreThanOne += 1;
      note('more than one completed attempt', row.id);
    }
    if (row.attempts > 1) retried += 1;
    if (receipts && row.status === 'completed' && !receipts.has(row.id)) {
      withoutReceipt += 1;
      note('completed but never received by an agent', row.id);
    }
  }
  const duplicateIds = submitted.length - unique.size;
  const pass = duplicateIds === 0 && missing === 0 && Object.keys(notCompleted).length === 0 && noCompletedAttempt === 0 && moreThanOne === 0 && withoutReceipt === 0;
  return {
    submitted: submitted.length,
    duplicateIds,
    missing,
    notCompleted,
    noCompletedAttempt,
    moreThanOneCompletedAttempt: moreThanOne,
    retried,
    completedWithoutReceipt: withoutReceipt,
    repeatedRuns: (repeated ?? []).reduce((sum, [, runs]) => sum + runs - 1, 0),
    samples,
    pass,
  };
}

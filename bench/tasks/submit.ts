/**
 * Submitting tasks: as fast as possible (a burst of batches, a few requests in flight) or at a
 * fixed offered load (small batches on a schedule). Both call a `send` function that submits
 * one batch and returns the ids it got, so the baseline's BullMQ producer uses the same code.
 */
import { performance } from 'node:perf_hooks';
import type { AdminClient } from '../common/rest';
import { runPool, sleep } from '../common/util';

/** Submits tasks number `first` .. `first + count - 1` of the phase; resolves with their ids in order. */
export type SendBatch = (first: number, count: number) => Promise<string[]>;

export interface Submission {
  ids: string[];
  /** ms since the epoch when the first request was sent. */
  firstSubmitAt: number;
  /** ms since the epoch when the last request was answered. */
  lastAnsweredAt: number;
  requests: number;
  /** Paced submission only: how far the schedule slipped at worst (0 for a burst). */
  maxLagMs: number;
  /** How long each request took to be answered, ms. */
  requestMs: number[];
}

/** `send`, timed into `into`. */
function timed(send: SendBatch, into: number[]): SendBatch {
  return async (first, count) => {
    const started = performance.now();
    const ids = await send(first, count);
    into.push(performance.now() - started);
    return ids;
  };
}

/** `count` tasks in batches of `batch`, `concurrency` requests in flight. */
export async function submitBurst(count: number, batch: number, concurrency: number, untimed: SendBatch, onProgress: (submitted: number) => void): Promise<Submission> {
  const requestMs: number[] = [];
  const send = timed(untimed, requestMs);
  const batches = Math.ceil(count / batch);
  const results: string[][] = new Array<string[]>(batches);
  let submitted = 0;
  const firstSubmitAt = Date.now();
  await runPool(batches, concurrency, async (index) => {
    const first = index * batch;
    const size = Math.min(batch, count - first);
    results[index] = await send(first, size);
    submitted += size;
    onProgress(submitted);
  });
  return { ids: results.flat(), firstSubmitAt, lastAnsweredAt: Date.now(), requests: batches, maxLagMs: 0, requestMs };
}

/**
 * `rate` tasks a second for `durationMs`: every `tickMs` the tasks due by then (rate × elapsed,
 * less those already sent) go out as one request, so the cumulative count tracks the schedule
 * exactly whatever the timer jitter. With `maxInFlight` requests unanswered, due tasks wait
 * for the next tick (and go out in a larger batch); the slip is reported as maxLagMs.
 */
export async function submitPaced(
  rate: number,
  durationMs: number,
  tickMs: number,
  maxInFlight: number,
  maxBatch: number,
  untimed: SendBatch,
  onProgress: (submitted: number) => void,
): Promise<Submission> {
  const requestMs: number[] = [];
  const send = timed(untimed, requestMs);
  const total = Math.round((rate * durationMs) / 1000);
  const parts: Array<{ first: number; ids: string[] }> = [];
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let answered = 0;
  let requests = 0;
  let maxLagMs = 0;
  let failure: unknown = null;
  const startedAt = performance.now();
  const firstSubmitAt = Date.now();
  for (let tick = 0; sent < total; tick += 1) {
    if (failure) throw failure;
    const elapsed = performance.now() - startedAt;
    const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
    if (due > sent && pending.size < maxInFlight) {
      // Tasks that were due earlier than this moment: the schedule slipped by that much.
      maxLagMs = Math.max(maxLagMs, elapsed - (sent * 1000) / rate);
      const first = sent;
      const size = Math.min(due - sent, maxBatch);
      sent += size;
      requests += 1;
      const request = send(first, size).then(
        (ids) => {
          parts.push({ first, ids });
          answered += size;
          onProgress(answered);
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
      pending.add(request);
      void request.finally(() => pending.delete(request));
    }
    const nextTickAt = (tick + 1) * tickMs;
    await sleep(Math.max(0, nextTickAt - (performance.now() - startedAt)));
  }
  await Promise.all(pending);
  if (failure) throw failure;
  parts.sort((a, b) => a.first - b.first);
  return { ids: parts.flatMap((p) => p.ids), firstSubmitAt, lastAnsweredAt: Date.now(), requests, maxLagMs, requestMs };
}

export interface TaskSpec {
  task_type: string;
  payload: unknown;
}

interface SubmittedTask {
  id?: unknown;
}

/** POST /swarms/:id/tasks in its batch form; checks that every task came back with an id. */
export function restSender(client: AdminClient, swarmId: string, makeTask: (index: number) => TaskSpec): SendBatch {
  return async (first, count) => {
    const tasks = Array.from({ length: count }, (_, i) => makeTask(first + i));
    const answer = await client.post<{ tasks?: SubmittedTask[] }>(`/swarms/${swarmId}/tasks`, { tasks });
    const ids = (answer.tasks ?? []).map((t) => t.id);
    if (ids.length !== count || ids.some((id) => typeof id !== 'string')) {
      throw new Error(`POST /swarms/${swarmId}/tasks: sent ${count} tasks, got ${ids.length} back${ids.some((id) => typeof id !== 'string') ? ' (some without an id)' : ''}`);
    }
    return ids as string[];
  };
}

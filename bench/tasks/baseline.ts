/**
 * The baseline: a bare pipeline on the same Postgres and Redis, measured for the same number
 * of tasks, so the engine's throughput has a yardstick from this machine on this day.
 *
 * Process layout (ours in brackets):
 *   benchmark parent  — adds jobs with Queue.addBulk in batches     [POSTs batches over REST]
 *   baseline server   — BullMQ Worker + socket.io server + pg Pool  [api (REST + gateway) and worker (distributor, reports): two processes]
 *   fleet             — N bare socket.io clients acking at once     [N SDK agents, no-op handler]
 * The baseline's JavaScript runs in one server process; ours in two (api and worker).
 *
 * The bench_tasks rows are inserted before the clock starts (ours are inserted by the submit
 * request, inside the measured time): the baseline is the floor of "queue → socket → one
 * UPDATE", not of a full submit.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import type { Client } from 'pg';
import { cpuShares, type CpuShares, cpuSnapshot } from '../common/cpu';
import { IpcChild } from '../common/ipc-child';
import { log } from '../common/util';
import type { BaselineCommand, BaselineReport, FleetCommand, FleetReport } from './protocol';
import { baselineProgress, waitForFinal } from './readings';
import { submitBurst } from './submit';

const QUEUE_NAME = 'bench-baseline';
const INSERT_CHUNK = 5_000;

export interface BaselineOptions {
  redisUrl: string;
  /** The run's Redis prefix; BullMQ's keys go under `${prefix}:bull`. */
  prefix: string;
  databaseUrl: string;
  /** The run's database name: Postgres backends of other databases are not counted as its CPU. */
  database: string;
  tasks: number;
  warmupTasks: number;
  batch: number;
  submitConcurrency: number;
  clients: number;
  workerConcurrency: number;
  poolSize: number;
  stallMs: number;
  pollMs: number;
}

export type BaselineCpuGroup = 'server' | 'fleet' | 'benchmark';

export interface BaselineResult {
  tasks: number;
  completed: number;
  /** All tasks final before the stall limit. */
  finished: boolean;
  tasksPerSecond: number;
  /** First addBulk → last completed_at. */
  wallMs: number;
  /** First addBulk → last addBulk answered. */
  submitMs: number;
  clients: number;
  workerConcurrency: number;
  poolSize: number;
  cpu: CpuShares<BaselineCpuGroup> | null;
  fleetLoopDelayP99Ms: number;
  failedJobs: number;
  sampleError: string | null;
}

/** What the baseline started, so the run's clean-up can stop it after a failure too. */
export interface BaselineHandles {
  server: IpcChild<BaselineCommand, BaselineReport> | null;
  fleet: IpcChild<FleetCommand, FleetReport> | null;
  queue: Queue | null;
  redis: Redis | null;
}

export function newBaselineHandles(): BaselineHandles {
  return { server: null, fleet: null, queue: null, redis: null };
}

export async function stopBaseline(handles: BaselineHandles): Promise<void> {
  await Promise.allSettled([handles.fleet?.stop(), handles.server?.stop()]);
  await handles.queue?.close().catch(() => undefined);
  handles.redis?.disconnect();
  handles.fleet = handles.server = handles.queue = handles.redis = null;
}

async function createTable(pg: Client, phases: Array<{ phase: string; ids: string[] }>): Promise<void> {
  await pg.query(`CREATE TABLE IF NOT EXISTS bench_tasks (
    id uuid PRIMARY KEY,
    phase text NOT NULL,
    status text NOT NULL DEFAULT 'queued',
    payload jsonb NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    completed_at timestamptz(3)
  )`);
  for (const { phase, ids } of phases) {
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      const chunk = ids.slice(i, i + INSERT_CHUNK);
      await pg.query(`INSERT INTO bench_tasks (id, phase, payload) SELECT id, $2, jsonb_build_object('i', n) FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`, [chunk, phase]);
    }
  }
  await pg.query('ANALYZE bench_tasks');
}

function adder(queue: Queue, ids: readonly string[]) {
  return async (first: number, count: number): Promise<string[]> => {
    const slice = ids.slice(first, first + count);
    await queue.addBulk(slice.map((id, i) => ({ name: 'task', data: { id, payload: { i: first + i } } })));
    return slice;
  };
}

export async function runBaseline(pg: Client, options: BaselineOptions, handles: BaselineHandles): Promise<BaselineResult> {
  const warmupIds = Array.from({ length: options.warmupTasks }, () => randomUUID());
  const ids = Array.from({ length: options.tasks }, () => randomUUID());
  log(`baseline: inserting ${options.tasks + options.warmupTasks} bench_tasks rows (not timed)`);
  await createTable(pg, [
    { phase: 'warmup', ids: warmupIds },
    { phase: 'measured', ids },
  ]);

  let serverProgress: Extract<BaselineReport, { type: 'progress' }> = { type: 'progress', processed: 0, failed: 0, sampleError: null };
  handles.server = IpcChild.fork<BaselineCommand, BaselineReport>(join(__dirname, 'baseline-server.ts'), 'baseline server', (report) => {
    if (report.type === 'progress') serverProgress = report;
  });
  const bullPrefix = `${options.prefix}:bull`;
  const { port } = await handles.server.request(
    { type: 'listen', config: { redisUrl: options.redisUrl, bullPrefix, queueName: QUEUE_NAME, databaseUrl: options.databaseUrl, concurrency: options.workerConcurrency, poolSize: options.poolSize, ackTimeoutMs: 30_000 } },
    'listening',
    30_000,
  );
  let received = 0;
  handles.fleet = IpcChild.fork<FleetCommand, FleetReport>(join(__dirname, 'agent-fleet.ts'), 'baseline fleet', (report) => {
    if (report.type === 'progress') received = report.counters.runs;
  });
  const connected = await handles.fleet.request({ type: 'connect-raw', url: `http://127.0.0.1:${port}`, count: options.clients }, 'connected', 60_000);
  if (connected.connected !== options.clients) throw new Error(`baseline: ${connected.connected}/${options.clients} clients connected (${connected.sampleError})`);
  await handles.server.request({ type: 'start-worker', expectedClients: options.clients }, 'worker-started', 60_000);
  handles.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  handles.queue = new Queue(QUEUE_NAME, { connection: handles.redis, prefix: bullPrefix });
  log(`baseline: ${options.clients} socket.io clients, BullMQ worker concurrency ${options.workerConcurrency}, pg pool ${options.poolSize}`);

  const line = (label: string, submitted: () => number, total: number) => (p: { completed: number; otherFinal: number }) =>
    `baseline ${label}: submitted ${submitted()}/${total}, received ${received}, completed ${p.completed}${serverProgress.failed > 0 ? `, ${serverProgress.failed} jobs failed (${serverProgress.sampleError})` : ''}`;

  if (options.warmupTasks > 0) {
    let submitted = 0;
    await submitBurst(options.warmupTasks, options.batch, options.submitConcurrency, adder(handles.queue, warmupIds), (n) => (submitted = n));
    const warm = await waitForFinal(baselineProgress(pg, 'warmup'), () => options.warmupTasks, () => true, options.stallMs, options.pollMs, line('warm-up', () => submitted, options.warmupTasks));
    if (!warm.finished) throw new Error(`baseline warm-up stalled: ${warm.progress.completed}/${options.warmupTasks} completed (${serverProgress.sampleError ?? 'no error reported'})`);
  }

  let submitted = 0;
  let submissionDone = false;
  const cpuStart = cpuSnapshot();
  await handles.fleet.request({ type: 'open-window' }, 'window-opened', 10_000);
  const abandon = new AbortController();
  const submission = submitBurst(options.tasks, options.batch, options.submitConcurrency, adder(handles.queue, ids), (n) => (submitted = n)).finally(() => (submissionDone = true));
  const waited = waitForFinal(baselineProgress(pg, 'measured'), () => options.tasks, () => submissionDone, options.stallMs, options.pollMs, line('measured', () => submitted, options.tasks), abandon.signal);
  waited.catch(() => undefined); // awaited below unless the submission failed first
  const submitted_ = await submission.catch((error: unknown) => {
    abandon.abort(error);
    throw error;
  });
  const outcome = await waited;
  const cpuEnd = cpuSnapshot();
  const fleetWindow = await handles.fleet.request({ type: 'close-window' }, 'window', 10_000);
  const wallMs = (outcome.progress.lastCompletedAt ?? outcome.endedAt) - submitted_.firstSubmitAt;
  const cpu = cpuShares<BaselineCpuGroup>(cpuStart, cpuEnd, { server: handles.server.pid, fleet: handles.fleet.pid, benchmark: process.pid }, undefined, options.database);
  await stopBaseline(handles);
  return {
    tasks: options.tasks,
    completed: outcome.progress.completed,
    finished: outcome.finished,
    tasksPerSecond: (outcome.progress.completed * 1000) / Math.max(1, wallMs),
    wallMs,
    submitMs: submitted_.lastAnsweredAt - submitted_.firstSubmitAt,
    clients: options.clients,
    workerConcurrency: options.workerConcurrency,
    poolSize: options.poolSize,
    cpu,
    fleetLoopDelayP99Ms: fleetWindow.loopDelayP99Ms,
    failedJobs: serverProgress.failed,
    sampleError: serverProgress.sampleError,
  };
}

/**
 * Task distribution: throughput, assignment latency at a fixed load, exactly-once, and a bare
 * BullMQ → socket.io → Postgres pipeline as the yardstick.
 *
 *   node --import tsx bench/tasks.bench.ts [--agents=20] [--concurrency=8] [--tasks=20000] [--batch=500]
 *                                          [--rate=1000] [--duration=15] [--tick-ms=5] [--warmup=1000]
 *                                          [--algorithm=least_loaded] [--submit-concurrency=4]
 *                                          [--baseline-concurrency=64] [--baseline-pool=10] [--stall=60]
 *                                          [--skip-baseline] [--baseline-only] [--no-build] [--json]
 *                                          [--worker-roles=R,...] [--keep-logs] [--cpu-prof]
 *
 * Runs the compiled api and worker as child processes on a throw-away database and Redis key
 * prefix, registers N agents (max_concurrency C) over REST, and has a separate fleet process
 * (bench/tasks/agent-fleet.ts) run them with the agent SDK and a no-op handler. Then:
 *
 *   warm-up     --warmup tasks, as fast as possible; checked, not reported in the numbers.
 *   throughput  --tasks tasks in batches of --batch (--submit-concurrency requests in flight),
 *               until every one is final. tasks/s = completed / (first submit → last completed_at).
 *   latency     --rate tasks/s for --duration s, one small batch every --tick-ms. Assignment
 *               latency = queued_at (Postgres) → the agent's handler started; targets p50 < 5 ms,
 *               p99 < 50 ms. Counts only if the engine kept up with the offered load.
 *
 * Processes: this one (REST submission, Postgres reads) | api | worker | agent fleet. The
 * baseline's: this one (Queue.addBulk) | baseline server (BullMQ Worker + socket.io server +
 * pg Pool, one process) | the same fleet program with bare socket.io clients. CPU is read per
 * process from /proc, plus Postgres (the run's database) and Redis; so is how long the api's,
 * worker's and fleet's main threads waited for a CPU while runnable (schedstat). The services'
 * stage histograms give the mean time of each step from queued to assigned.
 *
 * --cpu-prof profiles are sampled by a signal, which on a virtual machine tends to land as a
 * thread returns from a system call: they overstate writes. `perf record -e cpu-clock` with
 * BENCH_SERVICE_ENV="NODE_OPTIONS=--perf-basic-prof" attributes user time correctly.
 *
 * Every phase is checked in Postgres: every submitted id completed, with exactly one completed
 * attempt in task_attempts. Before the engine runs, the baseline (bench/tasks/baseline.ts) moves
 * the same number of tasks through BullMQ → socket.io ack → one UPDATE on the same Postgres and
 * Redis; our throughput is reported as a multiple of it (target ≥ 1.0×).
 *
 * --warmup=0 skips the warm-up (of both); --skip-baseline judges latency and exactly-once only;
 * --baseline-only runs just the baseline (no api, no build); --worker-roles sets the worker's
 * WORKER_ROLES; --keep-logs keeps the api's and worker's output in a temporary directory;
 * --cpu-prof writes V8 CPU profiles of the api and worker there too (summarise them with
 * bench/heartbeats/profile-summary.ts).
 *
 * Exit code: 0 every target met, 2 a target missed or exactly-once violated, 1 error.
 * BENCH_POSTGRES_URL / BENCH_REDIS_URL point it at other servers; BENCH_SERVICE_ENV="KEY=value ..."
 * passes settings to the services under test (A/B runs of one build).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { waitForActivation } from './common/activation';
import { cpuShares, cpuSnapshot, runnableWaitMsPerSecond, schedulerReading } from './common/cpu';
import { IpcChild } from './common/ipc-child';
import { scrapeMetrics, type Sample } from './common/prometheus';
import { AdminClient, createSwarm, registerAgents } from './common/rest';
import { cleanupStep, newRunIdentity, type RunIdentity, runMain, serviceEnv } from './common/run';
import {
  deleteRedisKeys,
  dropDatabase,
  ensureFreshBuild,
  freePort,
  migrateDatabase,
  ROOT,
  type ServiceProcess,
  startService,
  waitUntilReady,
} from './common/service';
import { flagValue, hasFlag, log, positiveInt } from './common/util';
import { type BaselineHandles, type BaselineResult, newBaselineHandles, runBaseline, stopBaseline } from './tasks/baseline';
import type { FleetCommand, FleetCounters, FleetReport } from './tasks/protocol';
import { distribution, engineProgress, taskRows, verify, waitForFinal } from './tasks/readings';
import { formatBaselineOnly, formatReport, type EngineCpuGroup, type PhaseResult, type RunResult, verdict } from './tasks/report';
import { restSender, type SendBatch, type Submission, submitBurst, submitPaced } from './tasks/submit';

const HEARTBEAT_INTERVAL_MS = 5_000;
const REGISTER_CONCURRENCY = 8;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const ACTIVATION_TIMEOUT_MS = 60_000;
/** How often a phase checks Postgres for completion: each check counts a phase's rows, work taken from the services measured. */
const POLL_MS = 500;
/** The API's batch limit. */
const MAX_BATCH = 1_000;
/** Requests in flight at most in the paced phase; beyond that the schedule slips (and says so). */
const PACED_MAX_IN_FLIGHT = 32;
/**
 * Events a socket may send per second (the gateway's flood guard, default 20). An agent doing
 * a task every few ms sends an ack and a result for each: far above the default, so it is
 * raised to its maximum here — this benchmark measures the engine, not the guard.
 */
const SOCKET_EVENTS_PER_SECOND = '10000';
const ALGORITHMS = ['round_robin', 'capability_match', 'least_loaded', 'affinity', 'priority_queue'];
/** Metrics (api and worker) reported per phase as deltas: the engine's own, and the socket flood guard. */
const METRIC_PREFIXES = ['swarm_task', 'swarm_socket_events_refused'];

interface Options {
  agents: number;
  concurrency: number;
  tasks: number;
  batch: number;
  rate: number;
  durationSeconds: number;
  tickMs: number;
  warmupTasks: number;
  algorithm: string;
  submitConcurrency: number;
  baselineConcurrency: number;
  baselinePool: number;
  stallMs: number;
  skipBaseline: boolean;
  baselineOnly: boolean;
  build: boolean;
  json: boolean;
  workerRoles: string | undefined;
  keepLogs: boolean;
  cpuProfile: boolean;
}

interface Run extends RunIdentity {
  baseUrl: string;
  /** The worker's Prometheus endpoint (the engine's task metrics live there and in the api's). */
  workerMetricsUrl: string;
  outputDir: string | null;
  services: ServiceProcess[];
  fleet: IpcChild<FleetCommand, FleetReport> | null;
  baseline: BaselineHandles;
  pg: Client | null;
  options: Options;
}

function parseOptions(argv: readonly string[]): Options {
  const algorithm = flagValue(argv, 'algorithm') ?? 'least_loaded';
  if (!ALGORITHMS.includes(algorithm)) throw new Error(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
  const batch = positiveInt(flagValue(argv, 'batch'), 500, 'batch');
  if (batch > MAX_BATCH) throw new Error(`--batch must be at most ${MAX_BATCH} (the API's limit)`);
  const warmupRaw = flagValue(argv, 'warmup');
  return {
    agents: positiveInt(flagValue(argv, 'agents'), 20, 'agents'),
    concurrency: positiveInt(flagValue(argv, 'concurrency'), 8, 'concurrency'),
    tasks: positiveInt(flagValue(argv, 'tasks'), 20_000, 'tasks'),
    batch,
    rate: positiveInt(flagValue(argv, 'rate'), 1_000, 'rate'),
    durationSeconds: positiveInt(flagValue(argv, 'duration'), 15, 'duration'),
    tickMs: positiveInt(flagValue(argv, 'tick-ms'), 5, 'tick-ms'),
    warmupTasks: warmupRaw === '0' ? 0 : positiveInt(warmupRaw, 1_000, 'warmup'),
    algorithm,
    submitConcurrency: positiveInt(flagValue(argv, 'submit-concurrency'), 4, 'submit-concurrency'),
    baselineConcurrency: positiveInt(flagValue(argv, 'baseline-concurrency'), 64, 'baseline-concurrency'),
    baselinePool: positiveInt(flagValue(argv, 'baseline-pool'), 10, 'baseline-pool'),
    stallMs: positiveInt(flagValue(argv, 'stall'), 60, 'stall') * 1000,
    skipBaseline: hasFlag(argv, 'skip-baseline'),
    baselineOnly: hasFlag(argv, 'baseline-only'),
    build: !hasFlag(argv, 'no-build'),
    json: hasFlag(argv, 'json'),
    workerRoles: flagValue(argv, 'worker-roles'),
    keepLogs: hasFlag(argv, 'keep-logs'),
    cpuProfile: hasFlag(argv, 'cpu-prof'),
  };
}

// ---------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------

async function startStack(run: Run, options: Options): Promise<void> {
  const port = await freePort();
  const workerMetricsPort = await freePort();
  run.baseUrl = `http://127.0.0.1:${port}`;
  run.workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}`;
  const env = serviceEnv(run, port, {
    SOCKET_EVENTS_PER_SECOND,
    // Its own port rather than the fixed default, so a worker already running here cannot clash.
    WORKER_METRICS_PORT: String(workerMetricsPort),
    ...(options.workerRoles ? { WORKER_ROLES: options.workerRoles } : {}),
  });
  const logPath = (service: string): string | undefined => (run.outputDir ? join(run.outputDir, `${service}.log`) : undefined);
  log(`starting api on ${run.baseUrl} and worker (Redis prefix ${run.prefix})`);
  const profileArgs = (service: string): string[] =>
    run.outputDir && options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(run.outputDir, service)}`] : [];
  run.services.push(startService('api', 'dist/apps/api/src/main.js', env, profileArgs('api'), logPath('api')));
  run.services.push(startService('worker', 'dist/apps/worker/src/main.js', env, profileArgs('worker'), logPath('worker')));
  await waitUntilReady(run.baseUrl, run.services, READY_TIMEOUT_MS);
  log('api ready');
}

interface Fleet {
  swarmId: string;
  client: AdminClient;
  /** Latest counters the fleet reported. */
  counters: () => FleetCounters;
}

async function startFleet(run: Run, options: Options): Promise<Fleet> {
  const client = new AdminClient(run.baseUrl, run.adminKey);
  const swarmId = await createSwarm(client, `bench-${run.id}`, options.agents + 10, HEARTBEAT_INTERVAL_MS, { distribution_algorithm: options.algorithm });
  log(`swarm ${swarmId} created (${options.algorithm}); registering ${options.agents} agents with max_concurrency ${options.concurrency}`);
  const tokens = await registerAgents(client, swarmId, options.agents, REGISTER_CONCURRENCY, (done, total) => log(`registering agents: ${done}/${total}`), {
    max_concurrency: options.concurrency,
  });
  let counters: FleetCounters = { runs: 0, distinct: 0, repeats: 0, notCompleted: {}, connected: 0, disconnects: 0 };
  run.fleet = IpcChild.fork<FleetCommand, FleetReport>(join(__dirname, 'tasks', 'agent-fleet.ts'), 'agent fleet', (report) => {
    if (report.type === 'progress') counters = report.counters;
  });
  const connected = await run.fleet.request({ type: 'connect-agents', url: run.baseUrl, tokens }, 'connected', 60_000 + options.agents * 200);
  log(`connected ${connected.connected}/${options.agents} SDK agents${connected.failed > 0 ? ` (${connected.failed} failed: ${connected.sampleError})` : ''}`);
  if (connected.connected !== options.agents) throw new Error(`only ${connected.connected}/${options.agents} agents connected: ${connected.sampleError}`);
  const wrong = connected.maxConcurrency.filter((c) => c !== options.concurrency);
  if (wrong.length > 0) log(`WARNING: ${wrong.length} agents registered with max_concurrency ${wrong[0]} instead of ${options.concurrency}`);
  const activationMs = await waitForActivation(run.pg!, swarmId, 0, ACTIVATION_TIMEOUT_MS, (pending) => log(`waiting for the health monitor to activate agents: ${pending} still pending`));
  if (activationMs === null) throw new Error(`agents still pending ${ACTIVATION_TIMEOUT_MS / 1000} s after connecting`);
  log(`all agents active after ${(activationMs / 1000).toFixed(1)} s`);
  return { swarmId, client, counters: () => counters };
}

// ---------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------

/** The api's and the worker's metrics, each name prefixed with its process; what cannot be read is left out. */
async function metricsOf(run: Run): Promise<Sample[]> {
  const read = async (process: string, url: string): Promise<Sample[]> => {
    try {
      return (await scrapeMetrics(url)).map((s) => ({ ...s, name: `${process}:${s.name}` }));
    } catch {
      return [];
    }
  };
  const [api, worker] = await Promise.all([read('api', run.baseUrl), read('worker', run.workerMetricsUrl)]);
  return [...api, ...worker];
}

function metricKey(sample: Sample): string {
  // `service` only repeats which process it came from, which the name's prefix already says.
  const labels = Object.entries(sample.labels).filter(([k]) => k !== 'service').map(([k, v]) => `${k}=${v}`).join(',');
  return labels ? `${sample.name}{${labels}}` : sample.name;
}

function metricDeltas(start: readonly Sample[], end: readonly Sample[]): Record<string, number> {
  const relevant = (s: Sample): boolean => METRIC_PREFIXES.some((p) => s.name.slice(s.name.indexOf(':') + 1).startsWith(p)) && !s.name.endsWith('_bucket');
  const before = new Map(start.filter(relevant).map((s) => [metricKey(s), s.value]));
  const deltas: Record<string, number> = {};
  for (const sample of end.filter(relevant)) deltas[metricKey(sample)] = sample.value - (before.get(metricKey(sample)) ?? 0);
  return deltas;
}

interface PhasePlan {
  name: PhaseResult['name'];
  taskType: string;
  total: number;
  offeredRate: number | null;
  submit: (send: SendBatch, onProgress: (submitted: number) => void) => Promise<Submission>;
}

async function runPhase(run: Run, fleet: Fleet, plan: PhasePlan, receipts: Map<string, number>): Promise<PhaseResult> {
  const pg = run.pg!;
  const fleetChild = run.fleet!;
  log(`[${plan.name}] ${plan.offeredRate === null ? `submitting ${plan.total} tasks as fast as possible` : `submitting ${plan.offeredRate} tasks/s, ${plan.total} in all`}`);
  const send = restSender(fleet.client, fleet.swarmId, (index) => ({ task_type: plan.taskType, payload: { i: index } }));
  const metricsStart = await metricsOf(run);
  await fleetChild.request({ type: 'open-window' }, 'window-opened', 10_000);
  const cpuStart = cpuSnapshot();
  const eventLoopPids = {
    api: run.services.find((s) => s.name === 'api')?.child.pid,
    worker: run.services.find((s) => s.name === 'worker')?.child.pid,
    fleet: fleetChild.pid,
  };
  const schedStart = Object.fromEntries(Object.entries(eventLoopPids).map(([name, pid]) => [name, schedulerReading(pid)]));
  let submitted = 0;
  let submissionDone = false;
  let previous = { at: Date.now(), completed: 0 };
  const status = (p: { completed: number; otherFinal: number }): string => {
    const now = Date.now();
    const rate = ((p.completed - previous.completed) * 1000) / Math.max(1, now - previous.at);
    previous = { at: now, completed: p.completed };
    const c = fleet.counters();
    return `[${plan.name}] submitted ${submitted}/${plan.total}, completed ${p.completed} (${rate.toFixed(0)}/s)${p.otherFinal > 0 ? `, ${p.otherFinal} final but not completed` : ''}; agents ran ${c.runs} handlers, ${c.connected} connected`;
  };
  const abandon = new AbortController();
  const submission = plan.submit(send, (n) => (submitted = n)).finally(() => (submissionDone = true));
  const waited = waitForFinal(engineProgress(pg, fleet.swarmId, plan.taskType), () => plan.total, () => submissionDone, run.options.stallMs, POLL_MS, status, abandon.signal);
  waited.catch(() => undefined); // its failure, if any, is awaited below; after a failed submission nobody awaits it
  let sub: Submission;
  try {
    sub = await submission;
  } catch (error) {
    // A failed submission is the error to report; the wait would only stall after it.
    abandon.abort(error);
    throw error;
  }
  const outcome = await waited;
  const cpuEnd = cpuSnapshot();
  const cpuWindowMs = cpuEnd && cpuStart ? cpuEnd.takenAt - cpuStart.takenAt : 0;
  const runnableWaits: Record<string, number> = {};
  for (const [name, pid] of Object.entries(eventLoopPids)) {
    const wait = runnableWaitMsPerSecond(schedStart[name] ?? null, schedulerReading(pid), cpuWindowMs);
    if (wait !== null) runnableWaits[name] = wait;
  }
  const fleetWindow = await fleetChild.request({ type: 'close-window' }, 'window', 10_000);
  const metricsEnd = await metricsOf(run);
  const taken = await fleetChild.request({ type: 'take-receipts' }, 'receipts', 60_000);
  taken.receipts.ids.forEach((id, i) => receipts.set(id, taken.receipts.receivedAt[i]!));

  const rows = await taskRows(pg, sub.ids);
  const assignment: number[] = [];
  const dispatch: number[] = [];
  const endToEnd: number[] = [];
  const reporting: number[] = [];
  const slotHold: number[] = [];
  let negative = 0;
  for (const row of rows) {
    const received = receipts.get(row.id);
    if (received !== undefined && row.queuedMs !== null) {
      const latency = received - row.queuedMs;
      // ms-rounded timestamps on both sides: up to 1 ms early is rounding, more is news.
      if (latency < -1) negative += 1;
      else assignment.push(Math.max(0, latency));
    }
    if (received !== undefined && row.completedMs !== null && row.attempts === 1) reporting.push(Math.max(0, row.completedMs - received));
    if (row.queuedMs !== null && row.assignedMs !== null) dispatch.push(row.assignedMs - row.queuedMs);
    if (row.completedMs !== null) endToEnd.push(row.completedMs - row.createdMs);
    if (row.attemptAssignedMs !== null && row.attemptFinishedMs !== null) slotHold.push(row.attemptFinishedMs - row.attemptAssignedMs);
  }
  const wallMs = (outcome.progress.lastCompletedAt ?? outcome.endedAt) - sub.firstSubmitAt;
  const verification = verify(sub.ids, rows, receipts, taken.receipts.repeated);
  return {
    name: plan.name,
    taskType: plan.taskType,
    submitted: sub.ids.length,
    completed: outcome.progress.completed,
    finished: outcome.finished,
    tasksPerSecond: (outcome.progress.completed * 1000) / Math.max(1, wallMs),
    wallMs,
    submitMs: sub.lastAnsweredAt - sub.firstSubmitAt,
    requests: sub.requests,
    requestMs: distribution(sub.requestMs),
    offeredRate: plan.offeredRate,
    maxSubmitLagMs: sub.maxLagMs,
    assignment: distribution(assignment),
    dispatch: distribution(dispatch),
    endToEnd: distribution(endToEnd),
    reporting: distribution(reporting),
    slotHold: distribution(slotHold),
    negativeAssignments: negative,
    cpu: cpuShares<EngineCpuGroup>(cpuStart, cpuEnd, {
      api: run.services.find((s) => s.name === 'api')?.child.pid,
      worker: run.services.find((s) => s.name === 'worker')?.child.pid,
      fleet: fleetChild.pid,
      benchmark: process.pid,
    }, undefined, run.database),
    fleetLoopDelayP99Ms: fleetWindow.loopDelayP99Ms,
    runnableWaitMsPerSecond: runnableWaits,
    metrics: metricDeltas(metricsStart, metricsEnd),
    verification,
  };
}

function phasePlans(options: Options): PhasePlan[] {
  const plans: PhasePlan[] = [];
  if (options.warmupTasks > 0) {
    plans.push({
      name: 'warm-up',
      taskType: 'bench.warmup',
      total: options.warmupTasks,
      offeredRate: null,
      submit: (send, onProgress) => submitBurst(options.warmupTasks, options.batch, options.submitConcurrency, send, onProgress),
    });
  }
  plans.push({
    name: 'throughput',
    taskType: 'bench.throughput',
    total: options.tasks,
    offeredRate: null,
    submit: (send, onProgress) => submitBurst(options.tasks, options.batch, options.submitConcurrency, send, onProgress),
  });
  const durationMs = options.durationSeconds * 1000;
  plans.push({
    name: 'latency',
    taskType: 'bench.latency',
    total: Math.round((options.rate * durationMs) / 1000),
    offeredRate: options.rate,
    submit: (send, onProgress) => submitPaced(options.rate, durationMs, options.tickMs, PACED_MAX_IN_FLIGHT, MAX_BATCH, send, onProgress),
  });
  return plans;
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

async function openPg(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

async function baselinePhase(run: Run, options: Options): Promise<BaselineResult> {
  log(`baseline: ${options.tasks} tasks through BullMQ → socket.io (${options.agents} clients) → UPDATE bench_tasks`);
  const result = await runBaseline(
    run.pg!,
    {
      redisUrl: run.redisUrl,
      prefix: run.prefix,
      databaseUrl: run.databaseUrl,
      database: run.database,
      tasks: options.tasks,
      warmupTasks: options.warmupTasks,
      batch: options.batch,
      submitConcurrency: options.submitConcurrency,
      clients: options.agents,
      workerConcurrency: options.baselineConcurrency,
      poolSize: options.baselinePool,
      stallMs: options.stallMs,
      pollMs: POLL_MS,
    },
    run.baseline,
  );
  log(`baseline: ${result.tasksPerSecond.toFixed(0)} tasks/s (${result.completed}/${result.tasks} in ${(result.wallMs / 1000).toFixed(2)} s)`);
  return result;
}

type Outcome = { kind: 'full'; result: RunResult } | { kind: 'baseline-only'; result: BaselineResult };

async function runBenchmark(run: Run, options: Options): Promise<Outcome> {
  if (options.build && !options.baselineOnly) await ensureFreshBuild();
  log(`creating and migrating database ${run.database}`);
  await migrateDatabase(run.databaseUrl);
  run.pg = await openPg(run.databaseUrl);
  // The baseline first, while nothing else of the run is up: the machine is as quiet for it
  // as it will be for the engine (whose services are idle until the first submit).
  const baseline = options.skipBaseline ? null : await baselinePhase(run, options);
  if (options.baselineOnly) {
    if (!baseline) throw new Error('--baseline-only and --skip-baseline exclude each other');
    return { kind: 'baseline-only', result: baseline };
  }
  await startStack(run, options);
  const fleet = await startFleet(run, options);
  const receipts = new Map<string, number>();
  const phases: PhaseResult[] = [];
  for (const plan of phasePlans(options)) {
    const result = await runPhase(run, fleet, plan, receipts);
    phases.push(result);
    log(
      `[${plan.name}] ${result.tasksPerSecond.toFixed(0)} tasks/s; assignment p50 ${result.assignment.p50.toFixed(1)} ms, p99 ${result.assignment.p99.toFixed(1)} ms; ${result.verification.pass ? 'exactly once: ok' : 'EXACTLY-ONCE VIOLATED'}`,
    );
  }
  const throughput = phases.find((p) => p.name === 'throughput')!;
  const counters = fleet.counters();
  return {
    kind: 'full',
    result: {
      agents: options.agents,
      maxConcurrency: options.concurrency,
      algorithm: options.algorithm,
      batch: options.batch,
      submitConcurrency: options.submitConcurrency,
      tickMs: options.tickMs,
      phases,
      baseline,
      throughputRatio: baseline && baseline.tasksPerSecond > 0 ? throughput.tasksPerSecond / baseline.tasksPerSecond : null,
      sdkNotCompleted: counters.notCompleted,
      fleetDisconnects: counters.disconnects,
    },
  };
}

/** Undoes everything the run created; each step is attempted even if an earlier one fails. */
async function cleanUp(run: Run): Promise<void> {
  log('cleaning up: stopping agents, baseline, api and worker');
  for (const service of run.services) service.mute();
  await cleanupStep('stop agent fleet', async () => run.fleet?.stop());
  await cleanupStep('stop baseline', () => stopBaseline(run.baseline));
  await cleanupStep('close Postgres client', async () => run.pg?.end());
  for (const service of run.services) {
    await cleanupStep(`stop ${service.name}`, async () => {
      const code = await service.stop(STOP_TIMEOUT_MS);
      if (code !== 0) log(`${service.name} exited with ${String(code)}`);
    });
  }
  await cleanupStep(`drop database ${run.database}`, () => dropDatabase(run.serverUrl, run.database));
  await cleanupStep(`delete Redis keys ${run.prefix}:*`, async () => log(`deleted ${await deleteRedisKeys(run.redisUrl, run.prefix)} Redis keys under ${run.prefix}:`));
  if (run.outputDir) log(`api and worker output kept in ${run.outputDir}`);
}

/** A hard bound on the whole run: a hung phase must not keep servers and data around. */
function deadlineMs(options: Options): number {
  const tasks = options.tasks * 2 + options.warmupTasks * 2 + options.rate * options.durationSeconds;
  // Set-up and clean-up, plus every task at 50/s at worst, plus a stall limit per phase.
  return (300 + tasks / 50 + options.durationSeconds) * 1000 + 5 * options.stallMs;
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const identity = newRunIdentity();
  const run: Run = {
    ...identity,
    baseUrl: '',
    workerMetricsUrl: '',
    outputDir: options.keepLogs || options.cpuProfile ? join(tmpdir(), `swarm-bench-${identity.id}`) : null,
    services: [],
    fleet: null,
    baseline: newBaselineHandles(),
    pg: null,
    options,
  };
  log(
    `node ${process.version}, ${options.agents} agents × ${options.concurrency}, ${options.tasks} tasks in batches of ${options.batch}, ` +
      `${options.rate} tasks/s for ${options.durationSeconds} s, warm-up ${options.warmupTasks}, ${options.algorithm}, ` +
      `${options.skipBaseline ? 'no baseline' : options.baselineOnly ? 'baseline only' : 'with baseline'}, run ${run.id}, cwd ${ROOT}`,
  );
  runMain(
    {
      deadlineMs: deadlineMs(options),
      cleanUp: () => cleanUp(run),
      onFailure: () => {
        for (const service of run.services) if (service.hasExited()) log(`${service.name} output:\n${service.tail()}`);
      },
    },
    () => runBenchmark(run, options),
    (outcome) => {
      if (outcome.kind === 'baseline-only') {
        console.log(`\n${formatBaselineOnly(outcome.result)}\n`);
        if (options.json) console.log(JSON.stringify({ baseline: outcome.result }));
        return outcome.result.finished && outcome.result.completed === outcome.result.tasks ? 0 : 2;
      }
      console.log(`\n${formatReport(outcome.result)}\n`);
      if (options.json) console.log(JSON.stringify({ ...outcome.result, verdict: verdict(outcome.result) }));
      return verdict(outcome.result).pass ? 0 : 2;
    },
  );
}

try {
  main();
} catch (error) {
  // Bad flags: nothing was created yet.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

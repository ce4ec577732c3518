/**
 * Agent heartbeats and memory per connected agent.
 *
 *   node --import tsx bench/heartbeats.bench.ts [--agents=1000] [--duration=30] [--warmup=10]
 *                                               [--no-build] [--cpu-prof] [--json] [--worker-roles=R,...]
 *                                               [--api-node-args="--flag ..."] [--keep-logs]
 *
 * --no-build skips the dist/ freshness check; --cpu-prof writes V8 CPU profiles of the api and
 * the worker to a temporary directory; --json also prints the raw results as one JSON line;
 * --worker-roles sets the worker's WORKER_ROLES (default: all), to see what each role costs;
 * --api-node-args passes node flags to the api process only (e.g. GC settings to try);
 * --keep-logs keeps the api's and the worker's whole output in a temporary directory.
 *
 * Runs the compiled api and worker as child processes on a throw-away database and Redis key
 * prefix, registers N agents over REST, and has a separate load-generator process
 * (bench/heartbeats/agent-load.ts) connect them over socket.io and beat once a second each.
 * Measures (a) the gateway's heartbeat handling time from its Prometheus histogram and the
 * client-observed ack round trip, (b) api memory per connected agent, (c) whether the beats
 * reach Postgres and how far behind. Cleans up everything it created, also on failure.
 *
 * Exit code: 0 both targets met, 2 a target missed or the run was incomplete, 1 error.
 * BENCH_POSTGRES_URL / BENCH_REDIS_URL point it at other servers.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { waitForActivation } from './common/activation';
import { metricValue, readHistogram, type Sample } from './common/prometheus';
import { AdminClient, createSwarm, registerAgents } from './common/rest';
import { cleanupStep as step, newRunIdentity, randomAlnum } from './common/run';
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
import { flagValue, hasFlag, log, median, positiveInt, sleep } from './common/util';
import { cpuBreakdown, cpuSnapshot, type CpuSnapshot, type RunPids } from './heartbeats/cpu';
import { LoadGenerator, progressLogger, type ReportOf } from './heartbeats/load-generator';
import type { BeatCounters, ParentCommand, WindowReport } from './heartbeats/protocol';
import {
  BASELINE_SAMPLES,
  baselineMemory,
  gcBetween,
  handlingFrom,
  medianMemory,
  memoryOf,
  scrape,
  type StoredBeats,
  storedBeats,
  waitForDrain,
} from './heartbeats/readings';
import { formatReport, type MemoryReading, type PersistenceResult, type RunResult, verdict } from './heartbeats/report';

const HEARTBEAT_INTERVAL_MS = 1_000;
const REGISTER_CONCURRENCY = 8;
const CONNECT_CONCURRENCY = 50;
/** Gap between scrapes in the window: often enough for a median, rare enough to cost nothing. */
const WINDOW_SCRAPE_EVERY_MS = 2_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const ACTIVATION_TIMEOUT_MS = 180_000;
const HANDLING_HISTOGRAM = 'swarm_heartbeat_handling_seconds';
/** prom-client samples event-loop delay every 10 ms and its percentiles include that interval. */
const API_LOOP_RESOLUTION_MS = 10;
/** Events a socket may send per second in this run: far above 1 beat/s, so it never limits. */
const SOCKET_EVENTS_PER_SECOND = '1000';

interface Options {
  agents: number;
  durationSeconds: number;
  warmupSeconds: number;
  build: boolean;
  cpuProfile: boolean;
  json: boolean;
  /** WORKER_ROLES of the worker; unset runs every role, as in production. */
  workerRoles: string | undefined;
  /** Extra node flags for the api process only (GC experiments and the like). */
  apiNodeArgs: string[];
  keepLogs: boolean;
}

interface Run {
  id: string;
  serverUrl: string;
  redisUrl: string;
  database: string;
  databaseUrl: string;
  prefix: string;
  adminKey: string;
  baseUrl: string;
  /** Where CPU profiles and service logs go when asked for (--cpu-prof, --keep-logs). */
  outputDir: string | null;
  services: ServiceProcess[];
  load: LoadGenerator | null;
  pg: Client | null;
  options: Options;
}

function parseOptions(argv: readonly string[]): Options {
  return {
    agents: positiveInt(flagValue(argv, 'agents'), 1000, 'agents'),
    durationSeconds: positiveInt(flagValue(argv, 'duration'), 30, 'duration'),
    warmupSeconds: positiveInt(flagValue(argv, 'warmup'), 10, 'warmup'),
    build: !hasFlag(argv, 'no-build'),
    cpuProfile: hasFlag(argv, 'cpu-prof'),
    json: hasFlag(argv, 'json'),
    workerRoles: flagValue(argv, 'worker-roles'),
    apiNodeArgs: (flagValue(argv, 'api-node-args') ?? '').split(' ').filter(Boolean),
    keepLogs: hasFlag(argv, 'keep-logs'),
  };
}

// ---------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------

function serviceEnv(run: Run, port: number, options: Options): Record<string, string> {
  return {
    ...(options.workerRoles ? { WORKER_ROLES: options.workerRoles } : {}),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    REDIS_KEY_PREFIX: run.prefix,
    JWT_SECRET: randomAlnum(48),
    BOOTSTRAP_ADMIN_KEY: run.adminKey,
    LOG_LEVEL: 'warn',
    SOCKET_EVENTS_PER_SECOND,
    // The worker's own /metrics listener (a fixed port by default) is not read here: off, so a
    // worker already running on this machine cannot make the benchmark's fail to start.
    WORKER_METRICS_PORT: '0',
  };
}

async function startStack(run: Run, options: Options): Promise<void> {
  if (options.build) await ensureFreshBuild();
  log(`creating and migrating database ${run.database}`);
  await migrateDatabase(run.databaseUrl);
  const port = await freePort();
  run.baseUrl = `http://127.0.0.1:${port}`;
  const env = serviceEnv(run, port, options);
  const profileArgs = (service: string): string[] => (run.outputDir && run.options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(run.outputDir, service)}`] : []);
  const logPath = (service: string): string | undefined => (run.outputDir && run.options.keepLogs ? join(run.outputDir, `${service}.log`) : undefined);
  log(`starting api on ${run.baseUrl} and worker (Redis prefix ${run.prefix})`);
  run.services.push(startService('api', 'dist/apps/api/src/main.js', env, [...options.apiNodeArgs, ...profileArgs('api')], logPath('api')));
  run.services.push(startService('worker', 'dist/apps/worker/src/main.js', env, profileArgs('worker'), logPath('worker')));
  await waitUntilReady(run.baseUrl, run.services, READY_TIMEOUT_MS);
  log('api ready');
}

async function registerSwarm(run: Run, agents: number): Promise<{ swarmId: string; tokens: string[] }> {
  const client = new AdminClient(run.baseUrl, run.adminKey);
  const swarmId = await createSwarm(client, `bench-${run.id}`, agents + 10, HEARTBEAT_INTERVAL_MS);
  log(`swarm ${swarmId} created; registering ${agents} agents over REST`);
  const tokens = await registerAgents(client, swarmId, agents, REGISTER_CONCURRENCY, (done, total) => log(`registering agents: ${done}/${total}`));
  return { swarmId, tokens };
}

async function connectAgents(run: Run, tokens: string[]): Promise<ReportOf<'connected'>> {
  run.load = LoadGenerator.start(progressLogger(tokens.length));
  const connectTimeoutMs = 60_000 + tokens.length * 100;
  const command: ParentCommand = { type: 'connect', url: run.baseUrl, tokens, concurrency: CONNECT_CONCURRENCY, intervalMs: HEARTBEAT_INTERVAL_MS };
  const connected = await run.load.request(command, 'connected', connectTimeoutMs);
  log(`connected and registered ${connected.connected}/${tokens.length} agents${connected.failed > 0 ? ` (${connected.failed} failed: ${connected.sampleError})` : ''}`);
  if (connected.connected === 0) throw new Error(`no agent could connect: ${connected.sampleError}`);
  return connected;
}

interface WindowReadings {
  start: Sample[];
  end: Sample[];
  memory: MemoryReading[];
  loopDelayP99s: number[];
  newestRowAges: number[];
  cpuStart: CpuSnapshot | null;
  cpuEnd: CpuSnapshot | null;
  load: WindowReport;
  storedAtEnd: StoredBeats;
}

/** Scrapes memory and Postgres lag every few seconds until the window ends. */
async function sampleDuringWindow(run: Run, swarmId: string, endsAt: number, readings: Pick<WindowReadings, 'memory' | 'loopDelayP99s' | 'newestRowAges'>): Promise<void> {
  while (Date.now() + WINDOW_SCRAPE_EVERY_MS / 2 < endsAt) {
    await sleep(Math.min(WINDOW_SCRAPE_EVERY_MS, endsAt - Date.now() - WINDOW_SCRAPE_EVERY_MS / 4));
    const samples = await scrape(run.baseUrl);
    readings.memory.push(memoryOf(samples));
    readings.loopDelayP99s.push(metricValue(samples, 'nodejs_eventloop_lag_p99_seconds'));
    const stored = await storedBeats(run.pg!, swarmId);
    if (stored.newestAt !== null) readings.newestRowAges.push(Date.now() - stored.newestAt);
  }
}

async function measureWindow(run: Run, swarmId: string, options: Options): Promise<WindowReadings> {
  const load = run.load!;
  const start = await scrape(run.baseUrl);
  const cpuStart = cpuSnapshot();
  await load.request({ type: 'open-window' }, 'window-opened', 10_000);
  const startedAt = Date.now();
  log(`measuring for ${options.durationSeconds} s`);
  const partial = { memory: [] as MemoryReading[], loopDelayP99s: [] as number[], newestRowAges: [] as number[] };
  await sampleDuringWindow(run, swarmId, startedAt + options.durationSeconds * 1000, partial);
  await sleep(Math.max(0, startedAt + options.durationSeconds * 1000 - Date.now()));
  const end = await scrape(run.baseUrl);
  const cpuEnd = cpuSnapshot();
  // The closing scrape is a reading like the others, so even a very short window has one.
  partial.memory.push(memoryOf(end));
  partial.loopDelayP99s.push(metricValue(end, 'nodejs_eventloop_lag_p99_seconds'));
  const loadReport = (await load.request({ type: 'close-window' }, 'window', 30_000)).report;
  const storedAtEnd = await storedBeats(run.pg!, swarmId);
  return { start, end, ...partial, cpuStart, cpuEnd, load: loadReport, storedAtEnd };
}

async function runBenchmark(run: Run, options: Options): Promise<RunResult> {
  await startStack(run, options);
  const { swarmId, tokens } = await registerSwarm(run, options.agents);
  run.pg = await openPg(run.databaseUrl);
  // Taken after the REST registrations (which warm up Prisma and the JIT) and before any
  // socket exists, so the difference is what the sockets and their traffic cost.
  log(`reading api memory before connecting (${BASELINE_SAMPLES} scrapes, 1 s apart)`);
  const before = await baselineMemory(run.baseUrl);
  const connected = await connectAgents(run, tokens);
  const activationMs = await waitForActivation(run.pg, swarmId, connected.failed, ACTIVATION_TIMEOUT_MS, (pending) => log(`waiting for the health monitor to activate agents: ${pending} still pending`));
  log(activationMs === null ? `some agents still pending after ${ACTIVATION_TIMEOUT_MS / 1000} s; measuring anyway` : `all agents active ${(activationMs / 1000).toFixed(1)} s after the last connected`);
  log(`all agents beating; warm-up ${options.warmupSeconds} s`);
  await sleep(options.warmupSeconds * 1000);
  const measured = await measureWindow(run, swarmId, options);
  log('window closed; stopping beats and waiting for Postgres to catch up');
  const { totals } = await run.load!.request({ type: 'stop-beats' }, 'beats-stopped', 30_000);
  const drained = await waitForDrain(run.pg, swarmId, totals);
  const pids: RunPids = {
    api: run.services.find((s) => s.name === 'api')?.child.pid,
    worker: run.services.find((s) => s.name === 'worker')?.child.pid,
    loadGenerator: run.load!.child.pid,
    benchmark: process.pid,
  };
  return { ...assembleResult(options, pids, connected, before, measured, totals, drained), activationMs };
}

function assembleResult(
  options: Options,
  pids: RunPids,
  connected: ReportOf<'connected'>,
  before: MemoryReading[],
  window: WindowReadings,
  totals: BeatCounters,
  drained: { rows: number; drainMs: number | null },
): Omit<RunResult, 'activationMs'> {
  const windowMs = window.load.durationMs;
  const apiCpuSeconds = metricValue(window.end, 'process_cpu_seconds_total') - metricValue(window.start, 'process_cpu_seconds_total');
  const persistence: PersistenceResult = {
    newestRowAgeMedianMs: median(window.newestRowAges),
    newestRowAgeMaxMs: window.newestRowAges.length > 0 ? Math.max(...window.newestRowAges) : Number.NaN,
    backlogAtWindowEnd: Math.max(0, window.load.totals.acked - window.storedAtEnd.rows),
    ackedTotal: totals.acked,
    rowsAtEnd: drained.rows,
    drainMs: drained.drainMs,
  };
  return {
    agents: options.agents,
    connected: connected.connected,
    connectFailures: connected.failed,
    warmupSeconds: options.warmupSeconds,
    windowSeconds: options.durationSeconds,
    workerRoles: options.workerRoles ?? 'all',
    apiNodeArgs: options.apiNodeArgs,
    connectedGauge: metricValue(window.end, 'swarm_connected_agent_sockets'),
    refusedByRateLimit: metricValue(window.end, 'swarm_socket_events_refused_total'),
    load: window.load,
    handling: handlingFrom(readHistogram(window.start, HANDLING_HISTOGRAM), readHistogram(window.end, HANDLING_HISTOGRAM)),
    memoryBefore: medianMemory(before),
    memoryAfter: medianMemory(window.memory),
    heapUsedMinBytes: { before: Math.min(...before.map((m) => m.heapUsedBytes)), after: Math.min(...window.memory.map((m) => m.heapUsedBytes)) },
    memorySamples: { before: before.length, after: window.memory.length },
    apiCpuPercent: (apiCpuSeconds * 100_000) / windowMs,
    cpu: cpuBreakdown(window.cpuStart, window.cpuEnd, pids, windowMs),
    apiLoopDelayP99MaxMs: Math.max(0, Math.max(...window.loopDelayP99s) * 1000 - API_LOOP_RESOLUTION_MS),
    apiGc: gcBetween(window.start, window.end),
    persistence,
    finalCounters: totals,
  };
}

async function openPg(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

// ---------------------------------------------------------------------------
// Clean-up and entry point
// ---------------------------------------------------------------------------

/** Undoes everything the run created; each step is attempted even if an earlier one fails. */
async function cleanUp(run: Run): Promise<void> {
  log('cleaning up: stopping load generator, api and worker');
  for (const service of run.services) service.mute();
  await step('stop load generator', async () => run.load?.stop());
  await step('close Postgres client', async () => run.pg?.end());
  for (const service of run.services) {
    await step(`stop ${service.name}`, async () => {
      const code = await service.stop(STOP_TIMEOUT_MS);
      if (code !== 0) log(`${service.name} exited with ${String(code)}`);
    });
  }
  await step(`drop database ${run.database}`, () => dropDatabase(run.serverUrl, run.database));
  await step(`delete Redis keys ${run.prefix}:*`, async () => log(`deleted ${await deleteRedisKeys(run.redisUrl, run.prefix)} Redis keys under ${run.prefix}:`));
  if (run.outputDir && run.options.cpuProfile) log(`CPU profiles of api and worker written under ${run.outputDir} (summarise with bench/heartbeats/profile-summary.ts)`);
  if (run.outputDir && run.options.keepLogs) log(`api and worker output kept in ${run.outputDir}`);
}

function newRun(options: Options): Run {
  const identity = newRunIdentity();
  return {
    ...identity,
    baseUrl: '',
    outputDir: options.cpuProfile || options.keepLogs ? join(tmpdir(), `swarm-bench-${identity.id}`) : null,
    options,
    services: [],
    load: null,
    pg: null,
  };
}

/** A hard bound on the whole run: a hung phase must not keep servers and data around. */
function deadlineMs(options: Options): number {
  return (300 + options.warmupSeconds + options.durationSeconds + options.agents * 0.15) * 1000 + ACTIVATION_TIMEOUT_MS;
}

async function main(options: Options): Promise<number> {
  const run = newRun(options);
  log(`node ${process.version}, ${options.agents} agents, warm-up ${options.warmupSeconds} s, window ${options.durationSeconds} s, worker roles ${options.workerRoles ?? 'all'}${options.apiNodeArgs.length > 0 ? `, api node flags ${options.apiNodeArgs.join(' ')}` : ''}, run ${run.id}, cwd ${ROOT}`);
  let cleaning: Promise<void> | null = null;
  let interrupted = false;
  const cleanOnce = (): Promise<void> => (cleaning ??= cleanUp(run));
  const interrupt = (reason: string, exitCode: number): void => {
    interrupted = true;
    log(`${reason}: stopping`);
    void cleanOnce().finally(() => process.exit(exitCode));
  };
  process.once('SIGINT', () => interrupt('SIGINT', 130));
  process.once('SIGTERM', () => interrupt('SIGTERM', 143));
  const watchdog = setTimeout(() => interrupt(`time limit of ${Math.round(deadlineMs(options) / 1000)} s reached`, 1), deadlineMs(options));
  try {
    const result = await runBenchmark(run, options);
    await cleanOnce();
    console.log(`\n${formatReport(result)}\n`);
    if (options.json) console.log(JSON.stringify(result));
    return verdict(result).pass ? 0 : 2;
  } catch (error) {
    // After an interrupt, phases fail because their processes are being stopped: not news.
    if (!interrupted) {
      log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      for (const service of run.services) if (service.hasExited()) log(`${service.name} output:\n${service.tail()}`);
    }
    await cleanOnce();
    return 1;
  } finally {
    clearTimeout(watchdog);
  }
}

main(parseOptions(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

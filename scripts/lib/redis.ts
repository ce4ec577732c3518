/**
 * Finding Redis for the start script: the configured URL, else the machine's default server,
 * else a `redis-server` we run ourselves with its data under the data dir. Whatever is used
 * must have maxmemory-policy noeviction, or BullMQ can lose jobs.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { readEvictionPolicy as readPolicyOfConnection } from '../../libs/messaging/src/eviction-policy';
import { StartError, errorText, hostPort, info, ok, redactUrl, step, warn } from './log';
import { ensureDir } from './local-state';
import {
  commandLineOf,
  findOnPath,
  hasExited,
  isAlive,
  isPortOpen,
  NETWORK_ERROR_CODES,
  runCommand,
  sleep,
  spawnManaged,
  stopManaged,
  stopPid,
  type Cleanup,
  type ManagedProcess,
} from './processes';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_LOCAL_REDIS_PORT = 63790;

export type RedisProbe =
  | { status: 'ok' }
  | { status: 'unreachable'; error: string }
  | { status: 'rejected'; error: string };


function connect(url: string, timeoutMs: number): { client: Redis; lastError: () => unknown } {
  let last: unknown;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  client.on('error', (err: unknown) => {
    last = err;
  });
  return { client, lastError: () => last };
}

/** One connection and PING. */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<RedisProbe> {
  const { client, lastError } = connect(url, timeoutMs);
  try {
    await client.connect();
    await client.ping();
    return { status: 'ok' };
  } catch (err) {
    const cause = lastError() ?? err;
    const code = (cause as { code?: unknown }).code;
    const text = errorText(cause);
    if ((typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) || /connect ETIMEDOUT|timed? ?out/i.test(text)) {
      return { status: 'unreachable', error: text };
    }
    return { status: 'rejected', error: text };
  } finally {
    client.disconnect();
  }
}

/** The server's maxmemory-policy, read the same way the api and worker read it. */
export async function readEvictionPolicy(url: string): Promise<string | undefined> {
  const { client } = connect(url, 5_000);
  try {
    await client.connect();
    return (await readPolicyOfConnection(client)) ?? undefined;
  } finally {
    client.disconnect();
  }
}

export async function checkNoEviction(url: string): Promise<void> {
  const where = hostPort(url, 6379);
  let policy: string | undefined;
  try {
    policy = await readEvictionPolicy(url);
  } catch (err) {
    throw new StartError(`could not read the eviction policy of Redis at ${where}: ${errorText(err)}`);
  }
  if (policy === 'noeviction') {
    ok(`Redis at ${where} has maxmemory-policy noeviction`);
    return;
  }
  throw new StartError(
    policy
      ? `Redis at ${where} has maxmemory-policy "${policy}"; BullMQ needs "noeviction" or it silently loses jobs. ` +
          'Set `maxmemory-policy noeviction` in that server\'s configuration (or `CONFIG SET maxmemory-policy noeviction`), or use another Redis.'
      : `could not determine the maxmemory-policy of Redis at ${where} (neither CONFIG GET nor INFO memory report it); ` +
          'BullMQ needs "noeviction". Use a Redis that reports it.',
  );
}

export interface RedisChoice {
  url: string;
  description: string;
  /** Data directory and server process when we run the server ourselves. */
  dataDir?: string;
  server?: ManagedProcess;
}

export interface ResolveRedisOptions {
  envUrl: string | undefined;
  forceLocal: boolean;
  dataDir: string;
  port: number;
  cleanup: Cleanup;
}

export async function resolveRedis(options: ResolveRedisOptions): Promise<RedisChoice> {
  const choice = await findOrStartRedis(options);
  await checkNoEviction(choice.url);
  return choice;
}

async function findOrStartRedis(options: ResolveRedisOptions): Promise<RedisChoice> {
  if (options.envUrl) {
    const where = hostPort(options.envUrl, 6379);
    info(`REDIS_URL is set: ${redactUrl(options.envUrl)}`);
    const probe = await probeRedis(options.envUrl);
    if (probe.status !== 'ok') {
      throw new StartError(
        `Redis from REDIS_URL (${where}) ${probe.status === 'unreachable' ? 'does not answer' : 'refused the connection'}: ${probe.error}. ` +
          'Start that server or correct REDIS_URL (unset it to use a local Redis).',
      );
    }
    ok(`Redis answers at ${where}`);
    return { url: options.envUrl, description: `REDIS_URL (${where})` };
  }

  const defaultWhere = hostPort(DEFAULT_REDIS_URL, 6379);
  if (!options.forceLocal) {
    info(`REDIS_URL is not set; trying ${DEFAULT_REDIS_URL}`);
    const probe = await probeRedis(DEFAULT_REDIS_URL);
    if (probe.status === 'ok') {
      ok(`using the Redis server at ${defaultWhere}`);
      return { url: DEFAULT_REDIS_URL, description: `the local server at ${defaultWhere}` };
    }
    if (probe.status === 'unreachable') info(`nothing answers at ${defaultWhere}; starting a local redis-server`);
    else warn(`the server at ${defaultWhere} refused us (${probe.error}); starting a local redis-server instead`);
  } else {
    info('local services forced: starting a local redis-server');
  }

  const { binary, installed } = await ensureRedisServerBinary();
  if (installed && !options.forceLocal && (await probeRedis(DEFAULT_REDIS_URL)).status === 'ok') {
    // Debian's package starts its own service where an init system runs; use it, so that every
    // later run (which will find it there) sees the same data.
    ok(`the installed package's service answers at ${defaultWhere}; using it`);
    return { url: DEFAULT_REDIS_URL, description: `the local server at ${defaultWhere}` };
  }
  return startLocalRedis(binary, options);
}

/** Finds `redis-server`, installing Debian's package when we are root and apt-get exists. */
async function ensureRedisServerBinary(): Promise<{ binary: string; installed: boolean }> {
  const found = findOnPath('redis-server');
  if (found) return { binary: found, installed: false };

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !findOnPath('apt-get')) {
    throw new StartError(
      'redis-server is not installed (not found on PATH). Install Redis — Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
        'macOS: `brew install redis`, Fedora: `sudo dnf install redis` — or set REDIS_URL to a running Redis.',
    );
  }
  step('Installing redis-server from Debian packages (apt-get update && apt-get install -y redis-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if ((await runCommand('apt-get', ['update'], { env })) !== 0) {
    throw new StartError('`apt-get update` failed; install redis-server by hand or set REDIS_URL.');
  }
  if ((await runCommand('apt-get', ['install', '-y', 'redis-server'], { env })) !== 0) {
    throw new StartError('`apt-get install -y redis-server` failed; install it by hand or set REDIS_URL.');
  }
  const binary = findOnPath('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
  if (!binary) throw new StartError('redis-server is still not found after installing the package.');
  ok(`installed ${binary}`);
  return { binary, installed: true };
}

async function clearStaleRedis(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && /redis-server/.test(commandLineOf(pid) ?? '')) {
    warn(`a redis-server from an earlier run is still running on this data dir (pid ${pid}); stopping it first`);
    await stopPid(pid, 'SIGTERM', 30_000);
  }
  if (existsSync(pidFile)) unlinkSync(pidFile);
}

async function startLocalRedis(binary: string, options: ResolveRedisOptions): Promise<RedisChoice> {
  const redisDir = path.join(options.dataDir, 'redis');
  const logDir = path.join(options.dataDir, 'logs');
  const logFile = path.join(logDir, 'redis.log');
  const pidFile = path.join(redisDir, 'redis.pid');
  ensureDir(redisDir, 0o700);
  ensureDir(logDir);
  await clearStaleRedis(pidFile);

  const port = options.port;
  if (await isPortOpen('127.0.0.1', port)) {
    throw new StartError(`port ${port} for the local redis-server is already taken by another program; set SWARM_LOCAL_REDIS_PORT to a free port.`);
  }
  const started = Date.now();
  info(`starting ${binary} on 127.0.0.1:${port} with data in ${redisDir} (log: ${logFile})`);
  const logFd = openSync(logFile, 'a');
  const server = spawnManaged(
    'redis',
    binary,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', redisDir,
      '--appendonly', 'yes',
      '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no',
      '--pidfile', pidFile,
    ],
    { prefixOutput: false, logFd },
  );
  closeSync(logFd);
  options.cleanup.add('local redis-server', async () => {
    info('stopping the local redis-server');
    await stopManaged(server, 'SIGTERM', 30_000);
  });

  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (hasExited(server)) {
      const log = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      throw new StartError(
        `redis-server exited during start-up. Last lines of ${logFile}:\n${log}` +
          (/address already in use/i.test(log) ? `\nPort ${port} is taken: set SWARM_LOCAL_REDIS_PORT to another port.` : ''),
      );
    }
    const probe = await probeRedis(url, 1_000);
    if (probe.status === 'ok') break;
    if (Date.now() > deadline) throw new StartError(`redis-server did not answer within 30 s (${probe.error}); see ${logFile}`);
    await sleep(100);
  }
  ok(`local redis-server ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${server.child.pid})`);
  return { url, description: `local redis-server on 127.0.0.1:${port}`, dataDir: redisDir, server };
}

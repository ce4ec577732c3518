/**
 * The service under test as the benchmarks run it: the compiled api and worker as separate
 * processes on a throw-away database and Redis key prefix, and the clean-up afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { errorText, log, sleep } from './util';

export const ROOT = resolve(__dirname, '..', '..');

const BUILD_OUTPUTS = ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'];
const SOURCE_DIRS = ['apps', 'libs'];
const OUTPUT_TAIL_LINES = 200;
/** Service log lines echoed live; the rest is kept only in the tail shown on failure. */
const ECHOED_LINES = 20;

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The last lines the process wrote, for error messages. */
  tail(): string;
  hasExited(): boolean;
  /** Stops echoing output (shutdown chatter such as "agent failed" per closed socket). */
  mute(): void;
  /** SIGTERM, then SIGKILL after timeoutMs; resolves with the exit code or signal. */
  stop(timeoutMs: number): Promise<number | string | null>;
}

function newestSourceMtime(): number {
  let newest = 0;
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts') || entry.endsWith('.spec.ts')) continue;
      newest = Math.max(newest, statSync(join(ROOT, dir, entry)).mtimeMs);
    }
  }
  return newest;
}

function oldestBuildMtime(): number {
  try {
    return Math.min(...BUILD_OUTPUTS.map((file) => statSync(join(ROOT, file)).mtimeMs));
  } catch {
    return 0;
  }
}

/** Output of a finished command, or an error carrying it. */
function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output.trim()}`));
    });
  });
}

/** Rebuilds dist/ when a source file is newer than it: measuring stale code would mislead. */
export async function ensureFreshBuild(): Promise<void> {
  if (newestSourceMtime() <= oldestBuildMtime()) {
    log('dist/ is up to date');
    return;
  }
  log('dist/ is older than apps/ or libs/: npm run build');
  await runCommand('npm', ['run', 'build'], process.env, 300_000);
}

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await runCommand(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl }, 120_000);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

interface OutputLog {
  tail(): string;
  mute(): void;
}

function collectOutput(name: string, child: ChildProcess, logFile: WriteStream | null): OutputLog {
  const lines: string[] = [];
  let echoed = 0;
  let muted = false;
  const onChunk = (chunk: Buffer): void => {
    logFile?.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > OUTPUT_TAIL_LINES) lines.shift();
      if (muted) continue;
      // LOG_LEVEL=warn keeps services quiet; what they do say is worth seeing, up to a point.
      if (echoed < ECHOED_LINES) process.stdout.write(`  [${name}] ${line.slice(0, 300)}\n`);
      else if (echoed === ECHOED_LINES) process.stdout.write(`  [${name}] (further output not echoed)\n`);
      echoed += 1;
    }
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  return { tail: () => lines.join('\n'), mute: () => (muted = true) };
}

function openLog(path: string | undefined): WriteStream | null {
  if (!path) return null;
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a' });
}

/**
 * Starts a compiled entry point with only the given environment (plus PATH/HOME). With logPath,
 * all its output is also kept in that file (e.g. for --trace-gc lines).
 */
export function startService(name: string, entry: string, env: Record<string, string>, nodeArgs: string[] = [], logPath?: string): ServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(name, child, openLog(logPath));
  const exited = new Promise<number | string | null>((resolvePromise) => child.once('exit', (code, signal) => resolvePromise(code ?? signal)));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    tail: output.tail,
    mute: output.mute,
    hasExited,
    async stop(timeoutMs) {
      if (hasExited()) return child.exitCode ?? child.signalCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export async function waitUntilReady(baseUrl: string, services: readonly ServiceProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const dead = services.find((s) => s.hasExited());
    if (dead) throw new Error(`${dead.name} exited during start-up:\n${dead.tail()}`);
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (response.ok) return;
      lastProblem = `HTTP ${response.status} ${body.slice(0, 300)}`;
    } catch (error) {
      lastProblem = errorText(error);
    }
    await sleep(250);
  }
  throw new Error(`api not ready after ${timeoutMs} ms: ${lastProblem}`);
}

/** The same server URL pointing at another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withPg<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  // The name is generated by the benchmark; checking it keeps the unquotable out of the DDL.
  if (!/^[a-z0-9_]+$/.test(database)) throw new Error(`refusing to drop database "${database}"`);
  await withPg(withDatabase(serverUrl, 'postgres'), (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** SCAN + UNLINK of every key under the run's prefix; returns how many were deleted. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new Error(`refusing to delete keys of prefix "${prefix}"`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

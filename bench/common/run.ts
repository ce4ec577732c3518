/**
 * What every service benchmark's run has in common: its throw-away names (database, Redis key
 * prefix, admin key), the environment the api and worker get, and an entry point that cleans
 * up on success, failure, Ctrl-C and a hard time limit alike.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { withDatabase } from './service';
import { errorText, log } from './util';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  return Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join('');
}

export interface RunIdentity {
  /** 10 lowercase hex characters, part of every name below. */
  id: string;
  /** The Postgres server (its maintenance database), where the run's database is created. */
  serverUrl: string;
  redisUrl: string;
  database: string;
  databaseUrl: string;
  /** REDIS_KEY_PREFIX of the services; every key the run creates lives under `${prefix}:`. */
  prefix: string;
  adminKey: string;
}

/** BENCH_POSTGRES_URL / BENCH_REDIS_URL point a run at other servers. */
export function newRunIdentity(): RunIdentity {
  const id = randomUUID().replace(/-/g, '').slice(0, 10).toLowerCase();
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const database = `swarm_bench_${id}`;
  return {
    id,
    serverUrl,
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    database,
    databaseUrl: withDatabase(serverUrl, database),
    prefix: `bench-${id}`,
    adminKey: `sc_${randomAlnum(8)}_${randomAlnum(40)}`,
  };
}

/** The api's and worker's environment for a run; `extra` adds or overrides variables. */
export function serviceEnv(run: RunIdentity, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    REDIS_KEY_PREFIX: run.prefix,
    JWT_SECRET: randomAlnum(48),
    BOOTSTRAP_ADMIN_KEY: run.adminKey,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...extra,
    ...serviceEnvOverrides(process.env.BENCH_SERVICE_ENV),
  };
}

/** BENCH_SERVICE_ENV="KEY=value KEY2=value": settings for the services under test (A/B runs). */
function serviceEnvOverrides(spec: string | undefined): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const pair of (spec ?? '').split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_SERVICE_ENV: "${pair}" is not KEY=value`);
    overrides[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return overrides;
}

/** One clean-up step: a failure is logged and the next step still runs. */
export async function cleanupStep(what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    log(`clean-up: ${what} failed: ${errorText(error)}`);
  }
}

export interface MainOptions {
  /** The whole run's hard limit: a hung phase must not keep servers and data around. */
  deadlineMs: number;
  /** Undoes everything the run created; called exactly once, whatever happens. */
  cleanUp: () => Promise<void>;
  /** Shown after an unexpected failure (e.g. the output of a service that died). */
  onFailure?: () => void;
}

/**
 * Runs `body` and exits with its code after clean-up: 1 when it throws, 130/143 on
 * SIGINT/SIGTERM, 1 when the deadline passes. `finish` runs after clean-up, before exit, with
 * the body's result (to print the report once the services' shutdown chatter is over).
 */
export function runMain<T>(options: MainOptions, body: () => Promise<T>, finish: (result: T) => number): void {
  let cleaning: Promise<void> | null = null;
  let interrupted = false;
  const cleanOnce = (): Promise<void> => (cleaning ??= options.cleanUp());
  const interrupt = (reason: string, exitCode: number): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${reason}: stopping`);
    void cleanOnce().finally(() => process.exit(exitCode));
  };
  process.once('SIGINT', () => interrupt('SIGINT', 130));
  process.once('SIGTERM', () => interrupt('SIGTERM', 143));
  const watchdog = setTimeout(() => interrupt(`time limit of ${Math.round(options.deadlineMs / 1000)} s reached`, 1), options.deadlineMs);
  const run = async (): Promise<number> => {
    try {
      const result = await body();
      await cleanOnce();
      return finish(result);
    } catch (error) {
      // After an interrupt, phases fail because their processes are being stopped: not news.
      if (!interrupted) {
        log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        options.onFailure?.();
      }
      await cleanOnce();
      return 1;
    } finally {
      clearTimeout(watchdog);
    }
  };
  run().then(
    (code) => {
      if (!interrupted) process.exit(code);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

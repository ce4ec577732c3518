import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrateDeploy } from '../../scripts/lib/migrations';
import { resolvePostgres } from '../../scripts/lib/postgres';
import { Cleanup } from '../../scripts/lib/processes';
import { resolveRedis } from '../../scripts/lib/redis';
import { adminDatabaseUrl, databaseUrl, POSTGRES_URL_ENV, REDIS_URL_ENV, TEMPLATE_DB_ENV } from './environment';

/** Servers this run started itself; the global teardown (same process) stops them. */
export const startedServers = new Cleanup();
const TEST_DATA_DIR = join(__dirname, '..', '..', '.data', 'test');
// Not the ports `npm start` uses for its own local servers, so both can run side by side.
const TEST_PG_PORT = 54339;
const TEST_REDIS_PORT = 63799;

/**
 * Finds (or starts) Postgres and Redis the same way `npm start` does, then migrates one
 * template database per run; every test file clones it (CREATE DATABASE ... TEMPLATE), which
 * takes milliseconds instead of re-running migrations per file. The random suffix keeps
 * concurrent runs on one machine apart.
 */
export default async function globalSetup(): Promise<void> {
  process.stdout.write('\n');
  // TEST_FORCE_LOCAL=1 ignores the machine's servers, as on a machine that has none.
  const forceLocal = /^(1|true|yes)$/i.test(process.env.TEST_FORCE_LOCAL ?? '');
  const postgres = await resolvePostgres({
    envUrl: process.env[POSTGRES_URL_ENV],
    forceLocal,
    dataDir: TEST_DATA_DIR,
    port: TEST_PG_PORT,
    cleanup: startedServers,
  });
  const redis = await resolveRedis({
    envUrl: process.env[REDIS_URL_ENV],
    forceLocal,
    dataDir: TEST_DATA_DIR,
    port: TEST_REDIS_PORT,
    cleanup: startedServers,
  });
  process.env[POSTGRES_URL_ENV] = postgres.url;
  process.env[REDIS_URL_ENV] = redis.url;

  const template = `swarm_test_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const started = Date.now();
  await runMigrateDeploy(databaseUrl(template), { log: () => undefined });
  process.stdout.write(`[e2e] template database ${template} migrated in ${Date.now() - started} ms\n`);
  process.env[TEMPLATE_DB_ENV] = template;
}

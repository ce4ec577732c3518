import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runMigrateDeploy } from '../../scripts/lib/migrations';
import { ADMIN_DATABASE_URL, databaseUrl, TEMPLATE_DB_ENV } from './environment';

/**
 * Migrates one template database per run; every test file clones it (CREATE DATABASE ...
 * TEMPLATE), which takes milliseconds instead of re-running migrations per file. The random
 * suffix keeps concurrent runs on one machine apart.
 */
export default async function globalSetup(): Promise<void> {
  const template = `swarm_test_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const started = Date.now();
  await runMigrateDeploy(databaseUrl(template), { log: () => undefined });
  process.stdout.write(`\n[e2e] template database ${template} migrated in ${Date.now() - started} ms\n`);
  process.env[TEMPLATE_DB_ENV] = template;
}

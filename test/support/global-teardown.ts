import { Client } from 'pg';
import { adminDatabaseUrl, TEMPLATE_DB_ENV } from './environment';
import { startedServers } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DB_ENV];
  if (template) {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await startedServers.runAll();
}

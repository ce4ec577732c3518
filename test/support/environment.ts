/**
 * Where the test run finds its servers. Defaults match the development machine and CI;
 * override with TEST_POSTGRES_URL / TEST_REDIS_URL.
 */
export const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEMPLATE_DB_ENV = 'SWARM_TEST_TEMPLATE_DB';

export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

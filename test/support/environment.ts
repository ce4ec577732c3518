/**
 * Where the test run finds its servers. The global setup resolves them (an explicit
 * TEST_POSTGRES_URL / TEST_REDIS_URL, else the machine's 127.0.0.1:5432 / :6379, else local
 * servers it starts under .data/test) and publishes the result in these variables.
 */
export const POSTGRES_URL_ENV = 'TEST_POSTGRES_URL';
export const REDIS_URL_ENV = 'TEST_REDIS_URL';
export const TEMPLATE_DB_ENV = 'SWARM_TEST_TEMPLATE_DB';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through jest (its global setup sets it)`);
  return value;
}

/** A URL to the server's maintenance database, for CREATE/DROP DATABASE. */
export function adminDatabaseUrl(): string {
  return databaseUrl('postgres');
}

export function testRedisUrl(): string {
  return required(REDIS_URL_ENV);
}

export function databaseUrl(database: string): string {
  const url = new URL(required(POSTGRES_URL_ENV));
  url.pathname = `/${database}`;
  return url.toString();
}

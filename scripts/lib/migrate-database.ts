/**
 * The database a migration command works on: reading its URL, checking that Postgres answers,
 * and creating the database when it does not exist yet (what the Prisma CLI does before
 * `migrate deploy` / `migrate dev`).
 */
import { Client, escapeIdentifier } from 'pg';
import { MigrateError } from './migrations';

export interface DatabaseTarget {
  url: string;
  /** "host:port", or the socket directory, for messages. */
  address: string;
  database: string;
  /** Postgres schema the migrations go to (`?schema=` in the URL, like Prisma). */
  schema: string;
}

export const DEFAULT_SCHEMA = 'public';
const CONNECT_TIMEOUT_MS = 5_000;
/** Databases to connect to when the target one does not exist yet, in Prisma's order. */
const MAINTENANCE_DATABASES = ['postgres', 'template1'];
const SQLSTATE_INVALID_CATALOG = '3D000';
const SQLSTATE_DUPLICATE_DATABASE = '42P04';
/** Two processes creating the same database at once can also collide on pg_database's index. */
const SQLSTATE_UNIQUE_VIOLATION = '23505';

export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MigrateError('the database URL is not a valid URL (expected postgresql://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new MigrateError(`the database URL must be a postgresql:// URL, got ${parsed.protocol}//...`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new MigrateError('the database URL names no database (postgresql://user@host:port/<database>)');
  const socketDir = parsed.searchParams.get('host');
  const address = socketDir ?? `${parsed.hostname || 'localhost'}:${parsed.port || 5432}`;
  return { url, address, database, schema: parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates the target database if it is missing, and its schema when that is not public.
 * Resolves to true when the database was created.
 */
export async function ensureDatabase(target: DatabaseTarget): Promise<boolean> {
  const created = !(await databaseExists(target)) && (await createDatabase(target));
  if (target.schema !== DEFAULT_SCHEMA) await createSchema(target);
  return created;
}

/** False when another process created it first. */
async function createDatabase(target: DatabaseTarget): Promise<boolean> {
  const client = await connectToMaintenanceDatabase(target);
  try {
    await client.query(`CREATE DATABASE ${escapeIdentifier(target.database)}`);
    return true;
  } catch (err) {
    const code = sqlState(err);
    if (code === SQLSTATE_DUPLICATE_DATABASE || code === SQLSTATE_UNIQUE_VIOLATION) return false;
    throw new MigrateError(`cannot create database "${target.database}" at ${target.address}: ${messageOf(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createSchema(target: DatabaseTarget): Promise<void> {
  const client = await connect(target.url).catch((err: unknown) => {
    throw connectionError(target, err);
  });
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(target.schema)}`);
  } catch (err) {
    throw new MigrateError(`cannot create schema "${target.schema}" in database "${target.database}": ${messageOf(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when the server answers and the database exists; any other failure is reported. */
export async function databaseExists(target: DatabaseTarget): Promise<boolean> {
  try {
    const client = await connect(target.url);
    await client.end().catch(() => undefined);
    return true;
  } catch (err) {
    if (sqlState(err) === SQLSTATE_INVALID_CATALOG) return false;
    throw connectionError(target, err);
  }
}

async function connectToMaintenanceDatabase(target: DatabaseTarget): Promise<Client> {
  let lastError: unknown;
  for (const database of MAINTENANCE_DATABASES) {
    try {
      return await connect(withDatabase(target.url, database));
    } catch (err) {
      lastError = err;
    }
  }
  throw new MigrateError(
    `database "${target.database}" does not exist and cannot be created: ` +
      `no access to the "postgres" or "template1" database at ${target.address}: ${messageOf(lastError)}`,
  );
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A server closing the socket later must not crash the process; queries report their own errors.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

export function connectionError(target: DatabaseTarget, err: unknown): MigrateError {
  return new MigrateError(`cannot connect to postgres at ${target.address}: ${messageOf(err)}`);
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Error text, with the errno code when the message alone would be empty (AggregateError from net). */
function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(messageOf).join('; ');
  if (!(err instanceof Error)) return String(err);
  const code = sqlState(err);
  if (!err.message) return code ?? err.name;
  return code && /^E[A-Z]+$/.test(code) && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

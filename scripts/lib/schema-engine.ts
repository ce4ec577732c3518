/**
 * Prisma's schema engine (the program behind `prisma migrate`) in its WebAssembly build,
 * `@prisma/schema-engine-wasm`, talking to Postgres through the `pg` driver adapter.
 *
 * The Prisma CLI only runs the native build, which it downloads on first use; this module lets
 * migrations run where that download is impossible. The package version is pinned to the engine
 * commit of the installed `prisma` (see @prisma/engines-version), so both write the same
 * `_prisma_migrations` rows and generate the same SQL.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { Client, Pool, escapeIdentifier, type ClientBase } from 'pg';
import { DEFAULT_SCHEMA, type DatabaseTarget, withDatabase } from './migrate-database';
import { MigrateError } from './migrations';

/** Node 20's type definitions do not describe the WebAssembly global; this is the part used here. */
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

export interface SchemaFile {
  path: string;
  content: string;
}

export interface EngineSession {
  engine: SchemaEngine;
  /** Releases connections and drops shadow databases left behind. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  target: DatabaseTarget;
  /** The Prisma schema; the engine reads multi-schema settings from it. */
  schemaFiles?: SchemaFile[];
  /** Engine log lines at WARN level or above (e.g. "migration was modified after it was applied"). */
  onWarning?: (message: string) => void;
}

/** Postgres' internal one-byte "char" type, used by catalog columns such as pg_constraint.contype. */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
/** A server that accepts connections but never answers must not hang a deploy forever. */
const CONNECT_TIMEOUT_MS = 10_000;

let lastPanicMessage: string | undefined;
const engineTimers = new Set<NodeJS.Timeout>();
let engineModule: Promise<typeof import('@prisma/schema-engine-wasm/schema_engine_bg')> | undefined;

export async function openSchemaEngine(options: OpenEngineOptions): Promise<EngineSession> {
  const { SchemaEngine } = await loadEngineModule();
  const adapters = createAdapterFactory(options.target);
  const datamodels = options.schemaFiles?.map((file): [string, string] => [file.path, file.content]);
  const onLog = (line: string) => forwardWarning(line, options.onWarning);
  try {
    const engine = await engineCall(() =>
      SchemaEngine.new({ datamodels }, onLog, bindMigrationAwareSqlAdapterFactory(adapters.factory)),
    );
    const close = once(async () => {
      try {
        engine.free();
      } catch {
        // After a panic the engine cannot even be freed; the connections still must be.
      }
      clearEngineTimers();
      await adapters.close();
    });
    return { engine, close };
  } catch (err) {
    await adapters.close();
    throw err;
  }
}

/**
 * Runs one engine command, turning its errors into readable ones: Prisma error code first
 * (P3005, P3018...), without the Rust span trace the engine appends.
 */
export async function engineCall<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (err) {
    throw toMigrateError(err);
  }
}

/**
 * Loads the engine without `--experimental-wasm-modules`: the package's entry point imports the
 * .wasm file as an ES module, which Node 20 only allows behind that flag (with a warning). The
 * JavaScript glue module is plain ESM, so it is imported on its own and given the compiled
 * module by hand, exactly as the entry point would.
 */
function loadEngineModule() {
  engineModule ??= (async () => {
    installPanicRegistry();
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    // The .wasm file imports every host function from "./schema_engine_bg.js", i.e. the glue module.
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': withTrackedTimers(glue) });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

/**
 * The engine arms timers it never clears (a 10 s timeout around taking the migration lock, for
 * one), which would keep the process alive for that long after the work is done. Its timers are
 * recorded so that closing a session can clear them.
 */
function withTrackedTimers(glue: object): Record<string, unknown> {
  const hostFunctions: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(hostFunctions)) {
    if (name.startsWith('__wbg_setTimeout_')) hostFunctions[name] = trackedSetTimeout;
  }
  return hostFunctions;
}

function trackedSetTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, delayMs >>> 0);
  engineTimers.add(timer);
  return timer;
}

function clearEngineTimers(): void {
  for (const timer of engineTimers) clearTimeout(timer);
  engineTimers.clear();
}

/** The engine reports the message of a Rust panic through this global before trapping. */
function installPanicRegistry(): void {
  Object.assign(globalThis, {
    PRISMA_WASM_PANIC_REGISTRY: {
      set_message(message: string) {
        lastPanicMessage = message;
      },
    },
  });
}

interface AdapterFactory {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

/**
 * The pg adapter, with the changes the engine needs:
 * - catalog columns of type "char" are read as text (the adapter rejects that type, and the
 *   engine reads several of them when it inspects a schema);
 * - a schema other than public is put on the search path, as Prisma's native engine does for
 *   `?schema=`, since migration scripts name their tables without a schema;
 * - shadow databases are created here. The adapter's own `connectToShadowDb` keeps the
 *   connection string, whose database name wins over the one it sets, so the "shadow" work
 *   would run against the real database.
 */
function createAdapterFactory(target: DatabaseTarget): AdapterFactory {
  const pgOptions = { schema: target.schema };
  const pool = createPool(target.url, target.schema);
  const main = new PrismaPg(pool, pgOptions);
  const shadows = new Set<string>();

  const connectToShadowDb = async (): Promise<SqlDriverAdapter> => {
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    const shadowUrl = withDatabase(target.url, database);
    await runAdminStatement(target.url, `CREATE DATABASE ${escapeIdentifier(database)}`, 'create a shadow database');
    shadows.add(database);
    if (target.schema !== DEFAULT_SCHEMA) {
      await runAdminStatement(shadowUrl, `CREATE SCHEMA ${escapeIdentifier(target.schema)}`, 'create a shadow database');
    }
    const shadowPool = createPool(shadowUrl, target.schema);
    const adapter = await new PrismaPg(shadowPool, pgOptions).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await shadowPool.end();
      await dropShadowDatabase(target, database);
      shadows.delete(database);
    };
    return adapter;
  };

  return {
    factory: {
      provider: main.provider,
      adapterName: main.adapterName,
      connect: () => main.connect(),
      connectToShadowDb,
    },
    close: async () => {
      await pool.end();
      for (const database of shadows) await dropShadowDatabase(target, database).catch(() => undefined);
      shadows.clear();
    },
  };
}

function createPool(connectionString: string, schema: string): Pool {
  const onConnect = async (client: ClientBase) => {
    readCharColumnsAsText(client);
    if (schema !== DEFAULT_SCHEMA) await client.query(`SET search_path TO ${escapeIdentifier(schema)}`);
  };
  const pool = new Pool({ connectionString, onConnect, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle connection dropped by the server must not crash the command; the next query reports it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Relabels "char" result columns as text before pg and the adapter look at them. The values
 * arrive as one-character strings either way; only the adapter's type check fails on the label.
 */
function readCharColumnsAsText(client: ClientBase): void {
  if (!(client instanceof Client)) return;
  client.connection.prependListener('rowDescription', (message: { fields: { dataTypeID: number }[] }) => {
    for (const field of message.fields) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  });
}

async function dropShadowDatabase(target: DatabaseTarget, database: string): Promise<void> {
  await runAdminStatement(target.url, `DROP DATABASE IF EXISTS ${escapeIdentifier(database)}`, 'drop a shadow database');
}

async function runAdminStatement(url: string, sql: string, purpose: string): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(sql);
  } catch (err) {
    const hint = purpose.startsWith('create') ? ' (the database user needs the CREATEDB privilege)' : '';
    throw new MigrateError(`cannot ${purpose}${hint}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Engine log lines are JSON: {"level":"WARN","fields":{"message":"..."},"target":"..."}. */
function forwardWarning(line: string, onWarning: ((message: string) => void) | undefined): void {
  if (!onWarning) return;
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: unknown } };
    if ((entry.level === 'WARN' || entry.level === 'ERROR') && typeof entry.fields?.message === 'string') {
      onWarning(entry.fields.message);
    }
  } catch {
    // Not JSON: nothing we know how to show.
  }
}

function toMigrateError(err: unknown): Error {
  if (err instanceof MigrateError) return err;
  if (!(err instanceof Error)) return new MigrateError(String(err));
  if (err.name === 'RuntimeError' && lastPanicMessage) {
    return new MigrateError(`the schema engine crashed: ${lastPanicMessage}`);
  }
  const code = (err as { code?: unknown }).code;
  const message = stripSpanTrace(err.message);
  return new MigrateError(typeof code === 'string' ? `${code}: ${message}` : message);
}

/** Drops the "   0: schema_engine_wasm::..." trace lines that follow the engine's message. */
function stripSpanTrace(message: string): string {
  const lines = message.split('\n');
  const traceStart = lines.findIndex((line) => /^\s*\d+: [\w:]+/.test(line));
  return (traceStart === -1 ? lines : lines.slice(0, traceStart)).join('\n').trim();
}

function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= action());
}

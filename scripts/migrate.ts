/**
 * Database migrations without Prisma's downloadable engine binary.
 *
 *   migrate deploy                     apply the committed migrations (creates the database if missing)
 *   migrate dev --name <name>          create a migration from schema changes, then apply it
 *   migrate dev --name <name> --create-only
 *   migrate status                     list applied / pending migrations; exit 1 if any is pending or failed
 *   migrate resolve --rolled-back <migration> | --applied <migration>
 *                                      record how a failed migration was dealt with
 *
 * Works like `prisma migrate deploy|dev|status|resolve` and records migrations in the same
 * `_prisma_migrations` table, so the Prisma CLI can take over wherever its engine is available.
 * The database comes from --url, else DATABASE_URL, else the default of prisma.config.ts.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DiagnoseMigrationHistoryOutput, MigrationList, SchemaFilter } from '@prisma/schema-engine-wasm';
import {
  type DatabaseTarget,
  databaseExists,
  ensureDatabase,
  parseDatabaseUrl,
} from './lib/migrate-database';
import {
  MIGRATIONS_DIR,
  MigrateError,
  PROJECT_ROOT,
  SCHEMA_PATH,
  ensureLockfile,
  listCommittedMigrations,
  migrationFolderName,
  readMigrationList,
  writeMigration,
} from './lib/migrations';
import { type EngineSession, type SchemaFile, engineCall, openSchemaEngine } from './lib/schema-engine';

/** Keep in sync with prisma.config.ts (not imported: loading prisma/config costs most of a second). */
const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/swarm_coordinator';
/** No tables or enums are managed outside the migrations (prisma.config.ts `tables.external`). */
const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

const USAGE = `Usage: migrate <command> [options]

Commands:
  deploy                 Apply pending migrations from prisma/migrations (creates the database if missing)
  dev --name <name>      Create a migration from changes in prisma/schema.prisma, then apply it
  status                 Show applied and pending migrations; exit code 1 if any is pending or failed
  resolve                Record a failed migration as rolled back (its changes were undone by hand)
                         or as applied (it was completed by hand), so deploy can go on

Options:
  -n, --name <name>      Name of the new migration (dev)
      --create-only      Write the new migration without applying it (dev)
      --rolled-back <migration>, --applied <migration>
                         The migration to resolve (resolve)
      --url <url>        Database URL (default: $DATABASE_URL)
  -h, --help             Show this help`;

const COMMANDS = ['deploy', 'dev', 'status', 'resolve'] as const;
type Command = (typeof COMMANDS)[number];

interface CommandLine {
  command: Command;
  url: string;
  name?: string;
  createOnly: boolean;
  rolledBack?: string;
  applied?: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const warn = (message: string) => out(`warning: ${message}`);
const relative = (file: string) => path.relative(PROJECT_ROOT, file);
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

async function main(argv: string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  if (!commandLine) {
    out(USAGE);
    return 0;
  }
  const target = parseDatabaseUrl(commandLine.url);
  out(`Database "${target.database}" (schema "${target.schema}") at ${target.address}`);
  switch (commandLine.command) {
    case 'deploy':
      return deploy(target);
    case 'dev':
      return dev(target, commandLine);
    case 'status':
      return status(target);
    case 'resolve':
      return resolve(target, commandLine);
  }
}

/** Returns undefined when help was asked for. */
function parseCommandLine(argv: string[]): CommandLine | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string', short: 'n' },
        'create-only': { type: 'boolean', default: false },
        url: { type: 'string' },
        'rolled-back': { type: 'string' },
        applied: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new MigrateError(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [command, ...extra] = positionals;
  if (!isCommand(command) || extra.length > 0) {
    throw new MigrateError(`${command ? `unknown command: ${[command, ...extra].join(' ')}` : 'missing command'}\n\n${USAGE}`);
  }
  return {
    command,
    url: values.url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    name: values.name,
    createOnly: values['create-only'] ?? false,
    rolledBack: values['rolled-back'],
    applied: values.applied,
  };
}

function isCommand(value: string | undefined): value is Command {
  return COMMANDS.some((command) => command === value);
}

async function deploy(target: DatabaseTarget): Promise<number> {
  const started = Date.now();
  await createDatabaseIfMissing(target);
  reportMigrationCount();
  const applied = await withEngine(target, await readSchemaFilesIfPresent(), applyPendingMigrations);
  if (applied.length > 0) {
    out(`Applied ${plural(applied.length, 'migration')} in ${seconds(Date.now() - started)}.`);
  }
  return 0;
}

async function dev(target: DatabaseTarget, commandLine: CommandLine): Promise<number> {
  await createDatabaseIfMissing(target);
  if (await ensureLockfile()) out(`Created ${relative(path.join(MIGRATIONS_DIR, 'migration_lock.toml'))}`);
  const schemaFiles = await readSchemaFiles();
  await withEngine(target, schemaFiles, async (session) => {
    await refuseDriftedDatabase(session);
    await applyPendingMigrations(session);
    const script = await pendingSchemaChanges(session, schemaFiles);
    if (script === undefined) {
      out('no changes: prisma/schema.prisma matches the committed migrations');
      return;
    }
    if (!commandLine.name) throw new MigrateError('prisma/schema.prisma has changes: pass --name <name> to create a migration');
    const file = await writeMigration(migrationFolderName(commandLine.name), script);
    out(`Created migration ${relative(file)}`);
    reportDataLossWarnings(script);
    if (!commandLine.createOnly) await applyPendingMigrations(session);
  });
  return 0;
}

async function status(target: DatabaseTarget): Promise<number> {
  const committed = reportMigrationCount();
  if (!(await databaseExists(target))) {
    out('The database does not exist yet.');
    listNames('Pending', committed);
    return committed.length > 0 ? 1 : 0;
  }
  const diagnosis = await withEngine(target, await readSchemaFilesIfPresent(), (session) => diagnose(session));
  return reportStatus(committed, diagnosis);
}

/** What `prisma migrate resolve` does; the only way out of a failed migration (P3009). */
async function resolve(target: DatabaseTarget, commandLine: CommandLine): Promise<number> {
  const { rolledBack, applied } = commandLine;
  if (!rolledBack === !applied) throw new MigrateError('resolve needs either --rolled-back <migration> or --applied <migration>');
  await withEngine(target, await readSchemaFilesIfPresent(), async ({ engine }) => {
    if (rolledBack) {
      await engineCall(() => engine.markMigrationRolledBack({ migrationName: rolledBack }));
      out(`Migration ${rolledBack} marked as rolled back.`);
    } else if (applied) {
      const migrationsList = await readMigrationList();
      await engineCall(() => engine.markMigrationApplied({ migrationName: applied, migrationsList }));
      out(`Migration ${applied} marked as applied.`);
    }
  });
  return 0;
}

function reportStatus(committed: string[], diagnosis: DiagnoseMigrationHistoryOutput): number {
  const pending = unappliedMigrations(diagnosis);
  const failed = diagnosis.failedMigrationNames;
  const missingLocally = unknownLocally(diagnosis);
  listNames('Applied', committed.filter((name) => !pending.includes(name) && !failed.includes(name)));
  listNames('Pending', pending);
  listNames('Failed (fix the database, then mark the migration rolled back or applied)', failed);
  listNames('Applied to the database but missing from prisma/migrations', missingLocally);
  const edited = diagnosis.editedMigrationNames.filter((name) => !failed.includes(name));
  for (const name of edited) warn(`migration ${name} was modified after it was applied`);
  const upToDate = pending.length === 0 && failed.length === 0 && missingLocally.length === 0;
  out(upToDate ? 'Database schema is up to date.' : 'Database schema is not up to date.');
  return upToDate ? 0 : 1;
}

/**
 * Applies pending migrations one by one so each gets its own progress line: the engine applies
 * everything it is given, so it is handed the migration list up to the next pending one.
 * A concurrent deploy is safe: the engine serialises on an advisory lock and skips what is done.
 */
async function applyPendingMigrations(session: EngineSession): Promise<string[]> {
  const list = await readMigrationList();
  const diagnosis = await diagnose(session, list);
  if (diagnosis.failedMigrationNames.length > 0) {
    // Let the engine refuse with Prisma's own explanation (P3009) and recovery steps.
    await engineCall(() => session.engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS }));
  }
  const pending = unappliedMigrations(diagnosis);
  if (pending.length === 0) {
    out('No pending migrations to apply.');
    return [];
  }
  const applied: string[] = [];
  for (const name of pending) {
    out(`Applying migration ${name}`);
    const started = Date.now();
    const result = await engineCall(() =>
      session.engine.applyMigrations({ migrationsList: listUpTo(list, name), filters: NO_FILTERS }),
    ).catch((err: unknown) => {
      throw migrationFailed(name, err);
    });
    if (result.appliedMigrationNames.includes(name)) {
      applied.push(name);
      out(`Applied migration ${name} (${Date.now() - started} ms)`);
    } else {
      out(`Migration ${name} was already applied by another process`);
    }
  }
  return applied;
}

function migrationFailed(name: string, err: unknown): MigrateError {
  const reason = err instanceof Error ? err.message : String(err);
  return new MigrateError(
    `migration ${name} failed: ${reason}\n` +
      'Statements before the failing one may have been applied. Undo them and run ' +
      `"migrate resolve --rolled-back ${name}", or finish the migration by hand and run ` +
      `"migrate resolve --applied ${name}".`,
  );
}

function listUpTo(list: MigrationList, name: string): MigrationList {
  const end = list.migrationDirectories.findIndex((directory) => directory.path === name);
  return { ...list, migrationDirectories: list.migrationDirectories.slice(0, end + 1) };
}

/**
 * The SQL that takes the committed migrations to the schema, or undefined when there is none.
 * The engine replays the migrations in a temporary shadow database to know where they lead.
 * (`createMigration`, which `prisma migrate dev` uses, has no shadow database in the WebAssembly
 * build; `diff` produces the same script.)
 */
async function pendingSchemaChanges(session: EngineSession, schemaFiles: SchemaFile[]): Promise<string | undefined> {
  const list = await readMigrationList();
  const result = await engineCall(() =>
    session.engine.diff({
      from: { tag: 'migrations', ...list },
      to: { tag: 'schemaDatamodel', files: schemaFiles },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  // With exitCode set, the engine answers 2 when the diff is not empty.
  if (result.exitCode !== 2 || !result.stdout) return undefined;
  return result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`;
}

/** Same check as `prisma migrate dev`: the database must match its migration history. */
async function refuseDriftedDatabase(session: EngineSession): Promise<void> {
  const migrationsList = await readMigrationList();
  const { action } = await engineCall(() => session.engine.devDiagnostic({ migrationsList, filters: NO_FILTERS }));
  if (action.tag === 'reset') {
    throw new MigrateError(
      `${action.reason}\nThe development database has to be reset: drop it (all data is lost) and run this command again.`,
    );
  }
}

/** Compares the migrations table with the folder; read-only, no shadow database. */
function diagnose(session: EngineSession, list?: MigrationList): Promise<DiagnoseMigrationHistoryOutput> {
  return engineCall(async () =>
    session.engine.diagnoseMigrationHistory({
      migrationsList: list ?? (await readMigrationList()),
      optInToShadowDatabase: false,
      filters: NO_FILTERS,
    }),
  );
}

function unappliedMigrations(diagnosis: DiagnoseMigrationHistoryOutput): string[] {
  const history = diagnosis.history;
  if (history?.diagnostic === 'databaseIsBehind' || history?.diagnostic === 'historiesDiverge') {
    return history.unappliedMigrationNames;
  }
  return [];
}

function unknownLocally(diagnosis: DiagnoseMigrationHistoryOutput): string[] {
  const history = diagnosis.history;
  if (history?.diagnostic === 'migrationsDirectoryIsBehind' || history?.diagnostic === 'historiesDiverge') {
    return history.unpersistedMigrationNames;
  }
  return [];
}

async function withEngine<T>(
  target: DatabaseTarget,
  schemaFiles: SchemaFile[] | undefined,
  work: (session: EngineSession) => Promise<T>,
): Promise<T> {
  const session = await openSchemaEngine({ target, schemaFiles, onWarning: warn });
  // Ctrl-C during `dev` must not leave a shadow database behind.
  const interrupt = () => void session.close().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  try {
    return await work(session);
  } finally {
    process.removeListener('SIGINT', interrupt);
    await session.close();
  }
}

async function createDatabaseIfMissing(target: DatabaseTarget): Promise<void> {
  if (await ensureDatabase(target)) out(`Created database "${target.database}" at ${target.address}`);
}

function reportMigrationCount(): string[] {
  const committed = listCommittedMigrations();
  out(`${plural(committed.length, 'migration')} found in ${relative(MIGRATIONS_DIR)}`);
  return committed;
}

/**
 * `prisma migrate dev` checks the generated migration against the data in the database; that
 * check needs a shadow database the WebAssembly engine cannot open for it. Statements that can
 * lose data are pointed out instead, for review before the migration is committed.
 */
function reportDataLossWarnings(script: string): void {
  const destructive = /\bDROP (TABLE|COLUMN)\b|\bSET DATA TYPE\b/i;
  for (const statement of script.split(';')) {
    const text = statement.replace(/--.*$/gm, '').replace(/\s+/g, ' ').trim();
    if (destructive.test(text)) warn(`may lose data, review before committing: ${text}`);
  }
}

function listNames(title: string, names: string[]): void {
  if (names.length === 0) return;
  out(`${title}:`);
  for (const name of names) out(`  ${name}`);
}

async function readSchemaFiles(): Promise<SchemaFile[]> {
  try {
    return [{ path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, 'utf8') }];
  } catch (err) {
    throw new MigrateError(`cannot read ${relative(SCHEMA_PATH)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** deploy and status only need the schema for its datasource settings; a deployment may not ship it. */
async function readSchemaFilesIfPresent(): Promise<SchemaFile[] | undefined> {
  return existsSync(SCHEMA_PATH) ? readSchemaFiles() : undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof MigrateError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
  },
);

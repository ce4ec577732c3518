import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PrismaService } from './prisma.service';

/** Finds prisma/migrations from wherever the code runs (sources, dist/, a container). */
export function findMigrationsDir(start: string = __dirname): string | null {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Names of the migration folders (those holding a migration.sql), oldest first. */
export function committedMigrationNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

export interface MigrationState {
  ok: boolean;
  pending: string[];
  failed: string[];
}

/** Compares the migrations shipped with the code against what the database has applied. */
export async function checkMigrations(prisma: PrismaService, migrationsDir: string): Promise<MigrationState> {
  const committed = committedMigrationNames(migrationsDir);
  const applied = await prisma.$queryRaw<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }[]>`
    SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations`;
  const finished = new Set(applied.filter((m) => m.finished_at && !m.rolled_back_at).map((m) => m.migration_name));
  const failed = applied.filter((m) => !m.finished_at && !m.rolled_back_at).map((m) => m.migration_name);
  const pending = committed.filter((name) => !finished.has(name));
  return { ok: pending.length === 0 && failed.length === 0, pending, failed };
}

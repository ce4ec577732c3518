/**
 * Files the start script keeps between runs under the data dir (`.data/` by default):
 * the generated JWT secret, the embedded Postgres password, the run lock.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartError, info } from './log';
import { commandLineOf, isAlive } from './processes';

/** Loads `.env` when present; variables already set in the environment win. */
export function loadDotEnv(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new StartError(`could not read ${file}: ${(err as Error).message}`);
  }
  return true;
}

export function ensureDir(dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
}

/**
 * Reads a secret kept in a file, creating it (mode 0600) with `generate()` the first time.
 * Returns the value and whether it was just created.
 */
export function persistentSecret(file: string, generate: () => string): { value: string; created: boolean } {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return { value, created: false };
  }
  ensureDir(path.dirname(file));
  const value = generate();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

export const randomToken = (bytes: number) => randomBytes(bytes).toString('base64url');
export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Holds `<dataDir>/start.pid` while the script runs, so a second copy cannot take over the
 * same embedded Postgres / Redis data. A lock whose process is gone is stale and replaced.
 */
export function acquireRunLock(dataDir: string): () => void {
  ensureDir(dataDir);
  const file = path.join(dataDir, 'start.pid');
  if (existsSync(file)) {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      const command = commandLineOf(pid) ?? '';
      if (/node|tsx|start/.test(command)) {
        throw new StartError(
          `another start script is already running with this data dir (pid ${pid}: ${command}). ` +
            `Stop it first (Ctrl-C in its terminal, or kill ${pid}).`,
        );
      }
    }
    info(`removing a stale ${path.relative(process.cwd(), file) || file} left by an earlier run`);
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

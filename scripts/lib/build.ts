/**
 * Whether the compiled apps in dist/ are missing or older than their sources.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const API_ENTRY = 'dist/apps/api/src/main.js';
export const WORKER_ENTRY = 'dist/apps/worker/src/main.js';

const SOURCE_DIRS = ['apps', 'libs'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time (ms) of the files under a directory, skipping node_modules and dot-dirs. */
function newestMtime(dir: string): { mtimeMs: number; file?: string } {
  let newest: { mtimeMs: number; file?: string } = { mtimeMs: 0 };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? newestMtime(full)
      : entry.isFile()
        ? { mtimeMs: statSync(full).mtimeMs, file: full }
        : { mtimeMs: 0 };
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** Returns why a build is needed, or undefined when dist/ is up to date. */
export function buildNeeded(root: string): string | undefined {
  const outputs = [API_ENTRY, WORKER_ENTRY].map((file) => path.join(root, file));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${path.relative(root, missing)} does not exist`;
  const builtAt = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  let newest: { mtimeMs: number; file?: string } = { mtimeMs: 0 };
  for (const dir of SOURCE_DIRS) {
    const candidate = newestMtime(path.join(root, dir));
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  for (const file of SOURCE_FILES) {
    const full = path.join(root, file);
    if (existsSync(full)) {
      const mtimeMs = statSync(full).mtimeMs;
      if (mtimeMs > newest.mtimeMs) newest = { mtimeMs, file: full };
    }
  }
  if (newest.mtimeMs > builtAt && newest.file) return `${path.relative(root, newest.file)} changed since the last build`;
  return undefined;
}

/**
 * `prisma generate` that works offline (run as the package's postinstall).
 *
 * Before generating, the Prisma CLI makes sure its native schema engine is present and downloads
 * it when it is not, which fails without access to Prisma's servers. Generation never runs that
 * engine, so the CLI is pointed at an executable that exists everywhere (this Node binary) and
 * skips the download. Migrations use the WebAssembly engine instead (scripts/migrate.ts).
 *
 * Extra arguments are passed on: `prisma-generate.ts --watch`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');

const env: NodeJS.ProcessEnv = {
  ...process.env,
  // Someone who set their own engine path (e.g. a downloaded binary) keeps it.
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  // The CLI's update check is a network request too; offline it only delays the install.
  CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1',
};

const child = spawn(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], {
  cwd: projectRoot,
  env,
  stdio: 'inherit',
});

child.on('error', (err) => {
  process.stderr.write(`error: cannot run prisma generate: ${err.message}\n`);
  process.exitCode = 1;
});

child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});

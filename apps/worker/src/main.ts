import 'reflect-metadata';
import { loadConfigOrExit } from '@swarm/config';
import { createWorkerApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  await createWorkerApp(config);
  process.stdout.write(`swarm-worker running roles: ${config.worker.roles.join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`swarm-worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

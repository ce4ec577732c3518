import 'reflect-metadata';
import { loadConfigOrExit } from '@swarm/config';
import { closeOnSignals } from '@swarm/platform';
import { createWorkerApp } from './bootstrap';
import { WORKER_SERVICE_NAME } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const app = await createWorkerApp(config);
  closeOnSignals(app, WORKER_SERVICE_NAME, config.shutdownTimeoutMs);
  process.stdout.write(`${WORKER_SERVICE_NAME} running roles: ${config.worker.roles.join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${WORKER_SERVICE_NAME} failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

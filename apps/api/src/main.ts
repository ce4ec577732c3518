import 'reflect-metadata';
import { loadConfigOrExit } from '@swarm/config';
import { closeOnSignals } from '@swarm/platform';
import { API_SERVICE_NAME } from './api.module';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const app = await createApiApp(config);
  closeOnSignals(app, API_SERVICE_NAME, config.shutdownTimeoutMs);
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = await app.getUrl();
  process.stdout.write(`${API_SERVICE_NAME} listening on ${url} (Swagger UI at ${url}/docs)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${API_SERVICE_NAME} failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

import 'reflect-metadata';
import { loadConfigOrExit } from '@swarm/config';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const app = await createApiApp(config);
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = await app.getUrl();
  process.stdout.write(`swarm-api listening on ${url} (Swagger UI at ${url}/docs)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`swarm-api failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

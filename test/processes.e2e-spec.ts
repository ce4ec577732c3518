import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './support/private-redis';
import { ROOT, RunningProcess, startProcess } from './support/processes';
import { createIsolatedEnvironment, eventually, IsolatedEnvironment } from './support/test-stack';
import { HttpClient } from './support/http-client';

const API_ENTRY = 'dist/apps/api/src/main.js';
const WORKER_ENTRY = 'dist/apps/worker/src/main.js';

/**
 * The compiled api and worker as separate processes, as they run in production: the api
 * enqueues, the worker (another process) consumes through Redis, and both stop cleanly on
 * SIGTERM. `npm test` builds first (pretest), so dist/ is current.
 */
describe('api and worker processes', () => {
  let environment: IsolatedEnvironment;
  let api: RunningProcess;
  let worker: RunningProcess;
  let http: HttpClient;
  let db: Client;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, API_ENTRY))) throw new Error(`${API_ENTRY} is missing: run npm run build (npm test does it first)`);
    const port = await freePort();
    environment = await createIsolatedEnvironment({ PORT: String(port), LOG_LEVEL: 'info' });
    api = startProcess(API_ENTRY, environment.env);
    worker = startProcess(WORKER_ENTRY, environment.env);
    http = new HttpClient(`http://127.0.0.1:${port}`);
    db = new Client({ connectionString: environment.env.DATABASE_URL });
    await db.connect();
    await eventually(async () => (await http.get('/ready')).status === 200, 30_000).catch((error: unknown) => {
      throw new Error(`api never became ready: ${String(error)}\n--- api output ---\n${api.output()}`);
    });
  });

  afterAll(async () => {
    await db?.end();
    await api?.stop('SIGKILL');
    await worker?.stop('SIGKILL');
    await environment?.dispose();
  });

  it('serves requests and hands swarm teardown to the worker process', async () => {
    const key = environment.adminKey;
    const created = await http.post('/swarms', { key, body: { name: 'cross-process', topology: 'ring' } });
    expect(created.status).toBe(201);
    expect((await http.delete(`/swarms/${created.body.id}`, { key })).status).toBe(200);
    await eventually(async () => {
      const rows = await db.query(`SELECT 1 FROM swarm_events WHERE swarm_id = $1 AND type = 'swarm_teardown_completed'`, [created.body.id]);
      return rows.rowCount === 1;
    }, 20_000);
  });

  it('logs JSON lines with service, version and request id, without the api key', async () => {
    const res = await http.get('/swarms', { key: environment.adminKey, headers: { 'x-request-id': 'logged-request-1' } });
    expect(res.status).toBe(200);
    const line = await eventually(async () => api.output().split('\n').find((l) => l.includes('logged-request-1')));
    const entry = JSON.parse(line) as { service: string; version: string; req: { id: string } };
    expect(entry.service).toBe('swarm-api');
    expect(entry.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(entry.req.id).toBe('logged-request-1');
    expect(api.output()).not.toContain(environment.adminKey);
  });

  it('both stop cleanly on SIGTERM', async () => {
    const [apiExit, workerExit] = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
    expect({ apiExit, workerExit }).toEqual({ apiExit: 0, workerExit: 0 });
  });
});

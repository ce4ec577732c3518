import { PrivateRedis } from './support/private-redis';
import { eventually, startTestStack, TestStack } from './support/test-stack';

describe('health, readiness and API docs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers /health without credentials', async () => {
    const res = await stack.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('is ready when Postgres, Redis and migrations are fine', async () => {
    const res = await stack.http.get('/ready');
    expect(res.status).toBe(200);
    expect(res.body.ready).toBe(true);
    expect(Object.values(res.body.checks).every((c) => (c as { ok: boolean }).ok)).toBe(true);
  });

  it('serves Prometheus metrics', async () => {
    const res = await stack.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(res.text).toContain('# TYPE swarm_heartbeat_handling_seconds histogram');
    expect(res.text).toMatch(/process_resident_memory_bytes\{service="swarm-api"\} \d+/);
  });

  it('returns a request id on every response and keeps a sane incoming one', async () => {
    expect((await stack.http.get('/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await stack.http.get('/health', { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
  });

  it('reports a pending migration as not ready', async () => {
    await stack.db.query(`UPDATE _prisma_migrations SET migration_name = migration_name || '_renamed'`);
    try {
      const res = await stack.http.get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.checks.migrations.ok).toBe(false);
      expect(res.body.message).toMatch(/pending migrations/);
    } finally {
      await stack.db.query(`UPDATE _prisma_migrations SET migration_name = replace(migration_name, '_renamed', '')`);
    }
  });

  it('serves Swagger UI and a document with every route and both auth schemes', async () => {
    const ui = await stack.http.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);

    const doc = await stack.http.get('/docs/json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(['api-key', 'jwt']);
    expect(doc.body.components.securitySchemes['api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' });
    const routes = Object.entries(doc.body.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /ready',
        'POST /api/v1/auth/keys',
        'GET /api/v1/auth/keys',
        'DELETE /api/v1/auth/keys/{keyId}',
        'POST /api/v1/auth/token',
        'POST /api/v1/owners',
        'GET /api/v1/owners',
        'POST /swarms',
        'GET /swarms',
        'GET /swarms/{swarmId}',
        'PUT /swarms/{swarmId}',
        'DELETE /swarms/{swarmId}',
      ]),
    );
    expect(doc.body.paths['/swarms'].post.security).toEqual(expect.arrayContaining([{ 'api-key': [] }, { jwt: [] }]));
  });

  it('the docs "Try it out" key works against the API', async () => {
    const res = await stack.http.get('/swarms', { key: stack.adminKey });
    expect(res.status).toBe(200);
  });
});

describe('readiness when Redis goes away', () => {
  let redis: PrivateRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startTestStack({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await stack?.close().catch(() => undefined);
    await redis?.stop();
  });

  it('answers 503 naming Redis, while /health stays 200', async () => {
    expect((await stack.http.get('/ready')).status).toBe(200);
    await redis.stop();
    const res = await eventually(async () => {
      const r = await stack.http.get('/ready');
      return r.status === 503 ? r : undefined;
    });
    expect(res.body.ready).toBe(false);
    expect(res.body.checks.redis.ok).toBe(false);
    expect(res.body.checks.postgres.ok).toBe(true);
    expect(res.body.message).toMatch(/^not ready: redis: /);
    expect((await stack.http.get('/health')).status).toBe(200);
  });
});

describe('readiness with an evicting Redis', () => {
  let redis: PrivateRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await PrivateRedis.start(['--maxmemory-policy', 'allkeys-lru']);
    stack = await startTestStack({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await stack?.close().catch(() => undefined);
    await redis?.stop();
  });

  it('refuses readiness and says noeviction is required', async () => {
    const res = await stack.http.get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.redis.error).toMatch(/maxmemory-policy is allkeys-lru; it must be noeviction/);
  });
});

import { createHmac } from 'node:crypto';
import { startTestStack, TestStack } from './support/test-stack';

describe('authentication and authorisation', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function createKey(role: string, key = stack.adminKey, extra: object = {}) {
    const res = await stack.http.post('/api/v1/auth/keys', { key, body: { name: `${role}-key`, role, ...extra } });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; prefix: string; owner_id: string };
  }

  it('answers 401 with the same body for no key, an empty key, a wrong key, a malformed key and a revoked key', async () => {
    const revoked = await createKey('operator');
    expect((await stack.http.delete(`/api/v1/auth/keys/${revoked.id}`, { key: stack.adminKey })).status).toBe(200);

    const wrongSecret = `${stack.adminKey.slice(0, 12)}${'Z'.repeat(40)}`;
    const attempts = [
      await stack.http.get('/swarms'),
      await stack.http.get('/swarms', { key: '' }),
      await stack.http.get('/swarms', { key: wrongSecret }),
      await stack.http.get('/swarms', { key: 'not-a-key' }),
      await stack.http.get('/swarms', { key: revoked.key }),
      await stack.http.get('/swarms', { token: 'not.a.jwt' }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual(attempts[0].body);
    }
    expect(attempts[0].body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(attempts[0].body.message).toMatch(/X-Api-Key/);
  });

  it('shows a new key once and stores only its hash', async () => {
    const created = await createKey('viewer');
    expect(created.key).toMatch(/^sc_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const list = await stack.http.get('/api/v1/auth/keys', { key: stack.adminKey });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.key);
    expect(list.body.items.find((k: { id: string }) => k.id === created.id)).toMatchObject({ role: 'viewer', revoked_at: null });

    const stored = await stack.db.query('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [created.id]);
    expect(stored.rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored.rows)).not.toContain(created.key.slice(12));
  });

  it('lets only admins manage keys, and viewers only read', async () => {
    const operator = await createKey('operator');
    const viewer = await createKey('viewer');

    const byOperator = await stack.http.post('/api/v1/auth/keys', { key: operator.key, body: { name: 'x', role: 'viewer' } });
    expect(byOperator.status).toBe(403);
    expect(byOperator.body.message).toMatch(/admin role/);

    expect((await stack.http.get('/swarms', { key: viewer.key })).status).toBe(200);
    const viewerWrite = await stack.http.post('/swarms', { key: viewer.key, body: { name: 'nope', topology: 'mesh' } });
    expect(viewerWrite.status).toBe(403);
    expect(viewerWrite.body.message).toMatch(/operator role; your key has viewer/);

    const operatorWrite = await stack.http.post('/swarms', { key: operator.key, body: { name: 'by-operator', topology: 'mesh' } });
    expect(operatorWrite.status).toBe(201);
  });

  it('validates key creation input', async () => {
    const res = await stack.http.post('/api/v1/auth/keys', { key: stack.adminKey, body: { name: 'x', role: 'root' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/role must be one of admin, operator, viewer/);
  });

  it('exchanges a key for a short-lived JWT that works as Bearer and dies with its key', async () => {
    const operator = await createKey('operator');
    const tokenRes = await stack.http.post('/api/v1/auth/token', { key: operator.key });
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.body).toMatchObject({ token_type: 'Bearer', expires_in: stack.config.auth.jwtTtlSeconds });
    const token = tokenRes.body.access_token as string;

    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header.alg).toBe('HS256');
    expect((payload.exp as number) - (payload.iat as number)).toBe(stack.config.auth.jwtTtlSeconds);

    expect((await stack.http.post('/swarms', { token, body: { name: 'via-jwt', topology: 'star' } })).status).toBe(201);

    await stack.http.delete(`/api/v1/auth/keys/${operator.id}`, { key: stack.adminKey });
    expect((await stack.http.get('/swarms', { token })).status).toBe(401);
  });

  it('rejects tokens that are expired, unsigned or signed with another algorithm', async () => {
    const operator = await createKey('operator');
    const claims = { sub: operator.id, own: operator.owner_id, role: 'operator' };
    const now = Math.floor(Date.now() / 1000);
    const sign = (header: object, body: object, secret = stack.config.auth.jwtSecret, algorithm = 'sha256') => {
      const encoded = [header, body].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
      return `${encoded}.${createHmac(algorithm, secret).update(encoded).digest('base64url')}`;
    };
    const valid = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now, exp: now + 60 });
    expect((await stack.http.get('/swarms', { token: valid })).status).toBe(200);

    const expired = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 120, exp: now - 60 });
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 60 })).toString('base64url')}.`;
    const hs512 = sign({ alg: 'HS512', typ: 'JWT' }, { ...claims, iat: now, exp: now + 60 }, stack.config.auth.jwtSecret, 'sha512');
    const wrongSecret = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now, exp: now + 60 }, 'another-secret-another-secret-another');
    for (const token of [expired, unsigned, hs512, wrongSecret]) {
      expect((await stack.http.get('/swarms', { token })).status).toBe(401);
    }
  });

  it('lets the system admin create owners and keys for them; other admins cannot', async () => {
    const owner = await stack.http.post('/api/v1/owners', { key: stack.adminKey, body: { name: 'tenant-a' } });
    expect(owner.status).toBe(201);
    expect((await stack.http.post('/api/v1/owners', { key: stack.adminKey, body: { name: 'tenant-a' } })).status).toBe(409);

    const tenantAdmin = await createKey('admin', stack.adminKey, { owner_id: owner.body.id });
    expect(tenantAdmin.owner_id).toBe(owner.body.id);

    expect((await stack.http.post('/api/v1/owners', { key: tenantAdmin.key, body: { name: 'tenant-b' } })).status).toBe(403);
    const foreignKey = await stack.http.post('/api/v1/auth/keys', {
      key: tenantAdmin.key,
      body: { name: 'x', role: 'admin', owner_id: (await stack.http.get('/api/v1/owners', { key: stack.adminKey })).body.items[0].id },
    });
    expect(foreignKey.status).toBe(403);

    // A tenant admin sees and revokes only its own owner's keys.
    const tenantKeys = await stack.http.get('/api/v1/auth/keys', { key: tenantAdmin.key });
    expect(tenantKeys.body.items.map((k: { id: string }) => k.id)).toEqual([tenantAdmin.id]);
    const systemKeys = await stack.http.get('/api/v1/auth/keys', { key: stack.adminKey });
    const someSystemKey = systemKeys.body.items[0].id as string;
    expect((await stack.http.delete(`/api/v1/auth/keys/${someSystemKey}`, { key: tenantAdmin.key })).status).toBe(404);
  });

  it('audits key creation and revocation', async () => {
    const key = await createKey('viewer');
    await stack.http.delete(`/api/v1/auth/keys/${key.id}`, { key: stack.adminKey });
    await stack.http.delete(`/api/v1/auth/keys/${key.id}`, { key: stack.adminKey }); // idempotent, no second row
    const rows = await stack.db.query('SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id', [key.id]);
    expect(rows.rows.map((r) => r.action)).toEqual(['api_key.create', 'api_key.revoke']);
  });
});

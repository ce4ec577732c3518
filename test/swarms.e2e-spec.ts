import { startTestStack, eventually, TestStack } from './support/test-stack';

describe('/swarms', () => {
  let stack: TestStack;
  let key: string;
  let otherOwnerKey: string;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
    const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'someone-else' } });
    const other = await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'other', role: 'admin', owner_id: owner.body.id } });
    otherOwnerKey = other.body.key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const create = (body: object, k = key) => stack.http.post('/swarms', { key: k, body });

  describe('create', () => {
    it('creates a swarm with defaults, an event and an audit row', async () => {
      const res = await create({ name: 'alpha', topology: 'mesh', description: 'first' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'alpha',
        description: 'first',
        topology: 'mesh',
        status: 'inactive',
        agent_count: 0,
        leader_agent_id: null,
        terminated_at: null,
        configuration: {
          min_agents: 1,
          max_agents: 100,
          heartbeat_interval_ms: 5000,
          heartbeat_timeout_ms: 15000,
          distribution_algorithm: 'least_loaded',
        },
      });
      const events = await stack.db.query('SELECT type FROM swarm_events WHERE swarm_id = $1', [res.body.id]);
      expect(events.rows.map((r) => r.type)).toEqual(['swarm_created']);
      const audit = await stack.db.query('SELECT action, request_id FROM audit_logs WHERE resource_id = $1', [res.body.id]);
      expect(audit.rows).toEqual([{ action: 'swarm.create', request_id: res.headers.get('x-request-id') }]);
    });

    it('accepts a configuration and derives the heartbeat timeout', async () => {
      const res = await create({ name: 'configured', topology: 'ring', configuration: { heartbeat_interval_ms: 1000, max_agents: 8, distribution_algorithm: 'affinity' } });
      expect(res.status).toBe(201);
      expect(res.body.configuration).toMatchObject({ heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 3000, max_agents: 8, distribution_algorithm: 'affinity' });
    });

    it('rejects an invalid topology, naming the field and the choices', async () => {
      const res = await create({ name: 'bad', topology: 'blob' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'validation_failed' });
      expect(res.body.message).toContain('topology must be one of star, mesh, hierarchical, ring');
    });

    it('rejects unknown fields, also nested ones, naming them', async () => {
      const res = await create({ name: 'extra', topology: 'star', colour: 'blue', configuration: { max_agents: 3, turbo: true } });
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual(expect.arrayContaining(['property colour should not exist', 'property configuration.turbo should not exist']));
    });

    it('rejects out-of-range and inconsistent configuration', async () => {
      const range = await create({ name: 'range', topology: 'star', configuration: { max_agents: 0 } });
      expect(range.status).toBe(400);
      expect(range.body.message).toMatch(/configuration\.max_agents: max_agents must not be less than 1/);
      const crossed = await create({ name: 'crossed', topology: 'star', configuration: { min_agents: 9, max_agents: 3 } });
      expect(crossed.status).toBe(400);
      expect(crossed.body.message).toMatch(/min_agents \(9\) must not exceed max_agents \(3\)/);
      const typed = await create({ name: 'typed', topology: 'star', configuration: { max_agents: '5' } });
      expect(typed.status).toBe(400);
    });

    it('rejects missing fields and wrong types', async () => {
      const res = await create({ topology: 'star' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/name must be a string/);
      expect((await create({ name: 42, topology: 'star' })).status).toBe(400);
      expect((await stack.http.post('/swarms', { key, rawBody: '[1,2]' })).status).toBe(400);
    });

    it('answers 400 to malformed JSON and 413 to an oversized body, in the error shape', async () => {
      const malformed = await stack.http.post('/swarms', { key, rawBody: '{"name": "x", ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(malformed.body.message).toMatch(/not valid JSON/);

      const huge = await stack.http.post('/swarms', { key, body: { name: 'big', topology: 'star', description: 'x'.repeat(100 * 1024) } });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ statusCode: 413, message: `request body is larger than the limit of ${64 * 1024} bytes` });

      const wrongType = await stack.http.post('/swarms', { key, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
      expect(wrongType.status).toBe(415);
    });

    it('never answers 5xx to odd bodies and queries', async () => {
      const rawBodies = ['null', '"text"', '123', 'true', '{}', '{"name":null,"topology":null}', '{"__proto__":{"x":1},"name":"p","topology":"star"}',
        '{"name":"c","topology":"star","configuration":null}', '{"name":"c","topology":"star","configuration":[]}',
        '{"name":"c","topology":"star","configuration":{"max_agents":1e308}}', '{"name":"' + 'n'.repeat(101) + '","topology":"star"}',
        '{"name":"[bold]x[/bold]","topology":"star"}', '\u0000', '{"name":"x","topology":["star"]}'];
      for (const rawBody of rawBodies) {
        const res = await stack.http.post('/swarms', { key, rawBody });
        expect({ rawBody, status: res.status }).toEqual({ rawBody, status: 400 });
        expect(res.body.statusCode).toBe(400);
      }
      for (const query of ['status=active&status=inactive', 'limit=1&limit=2', 'limit=1e3', 'cursor=', 'topology=%00']) {
        const res = await stack.http.get(`/swarms?${query}`, { key });
        expect(res.status).toBeLessThan(500);
      }
      const putNull = await stack.http.put('/swarms/00000000-0000-4000-8000-000000000000', { key, rawBody: 'null' });
      expect(putNull.status).toBeLessThan(500);
      const existing = await create({ name: 'null-target', topology: 'star', description: 'd' });
      for (const body of [{ name: null }, { topology: null }, { configuration: null }, { configuration: { max_agents: null } }]) {
        const res = await stack.http.put(`/swarms/${existing.body.id}`, { key, body });
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      const cleared = await stack.http.put(`/swarms/${existing.body.id}`, { key, body: { description: null } });
      expect(cleared.status).toBe(200);
      expect(cleared.body.description).toBeNull();
    });

    it('answers 409 to a duplicate name for the same owner, but not across owners', async () => {
      expect((await create({ name: 'dup', topology: 'star' })).status).toBe(201);
      const again = await create({ name: 'dup', topology: 'mesh' });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe('you already have a swarm named "dup"');
      expect((await create({ name: 'dup', topology: 'mesh' }, otherOwnerKey)).status).toBe(201);
    });
  });

  describe('read', () => {
    it('gets one swarm and answers 404 for an unknown id and 400 for a non-UUID', async () => {
      const created = await create({ name: 'readable', topology: 'hierarchical' });
      const res = await stack.http.get(`/swarms/${created.body.id}`, { key });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(created.body);
      expect((await stack.http.get('/swarms/00000000-0000-4000-8000-000000000000', { key })).status).toBe(404);
      const bad = await stack.http.get('/swarms/nope', { key });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('swarmId must be a UUID');
    });

    it("hides another owner's swarm behind 404 for every verb", async () => {
      const theirs = await create({ name: 'private', topology: 'star' }, otherOwnerKey);
      const path = `/swarms/${theirs.body.id}`;
      expect((await stack.http.get(path, { key })).status).toBe(404);
      expect((await stack.http.put(path, { key, body: { name: 'stolen' } })).status).toBe(404);
      expect((await stack.http.delete(path, { key })).status).toBe(404);
      const list = await stack.http.get('/swarms?limit=100', { key });
      expect(list.body.items.map((s: { id: string }) => s.id)).not.toContain(theirs.body.id);
      expect((await stack.http.get(path, { key: otherOwnerKey })).body.name).toBe('private');
    });

    it('pages newest first with a cursor and filters by topology and status', async () => {
      const names = ['page-1', 'page-2', 'page-3', 'page-4', 'page-5'];
      for (const name of names) expect((await create({ name, topology: 'ring' }, otherOwnerKey)).status).toBe(201);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/swarms?topology=ring&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await stack.http.get(query, { key: otherOwnerKey });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((s: { name: string }) => s.name));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...names].reverse());

      expect((await stack.http.get('/swarms?topology=star&limit=100', { key: otherOwnerKey })).body.items.every((s: { topology: string }) => s.topology === 'star')).toBe(true);
      expect((await stack.http.get('/swarms?status=terminated', { key: otherOwnerKey })).body.items).toEqual([]);
    });

    it('rejects bad query parameters', async () => {
      expect((await stack.http.get('/swarms?limit=0', { key })).status).toBe(400);
      expect((await stack.http.get('/swarms?limit=abc', { key })).status).toBe(400);
      expect((await stack.http.get('/swarms?status=bogus', { key })).body.message).toMatch(/status must be one of/);
      expect((await stack.http.get('/swarms?cursor=xyz', { key })).status).toBe(400);
      expect((await stack.http.get('/swarms?colour=red', { key })).body.message).toMatch(/property colour should not exist/);
    });
  });

  describe('update', () => {
    it('changes only what is sent, merges configuration and records the change', async () => {
      const created = await create({ name: 'mutable', topology: 'star', configuration: { max_agents: 10 } });
      const id = created.body.id as string;
      const res = await stack.http.put(`/swarms/${id}`, { key, body: { topology: 'mesh', configuration: { min_agents: 2 } } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'mutable', topology: 'mesh', configuration: { min_agents: 2, max_agents: 10 } });

      const event = await stack.db.query(`SELECT data FROM swarm_events WHERE swarm_id = $1 AND type = 'swarm_updated'`, [id]);
      expect(event.rows[0].data.changes).toEqual({
        topology: { from: 'star', to: 'mesh' },
        'configuration.min_agents': { from: 1, to: 2 },
      });
      const audit = await stack.db.query(`SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id`, [id]);
      expect(audit.rows.map((r) => r.action)).toEqual(['swarm.create', 'swarm.update']);

      // Sending the same values again changes nothing and records nothing.
      await stack.http.put(`/swarms/${id}`, { key, body: { topology: 'mesh' } });
      const again = await stack.db.query(`SELECT count(*)::int AS n FROM swarm_events WHERE swarm_id = $1 AND type = 'swarm_updated'`, [id]);
      expect(again.rows[0].n).toBe(1);
    });

    it('rejects invalid updates and renames onto an existing name', async () => {
      const a = await create({ name: 'upd-a', topology: 'star', configuration: { max_agents: 5 } });
      await create({ name: 'upd-b', topology: 'star' });
      const crossed = await stack.http.put(`/swarms/${a.body.id}`, { key, body: { configuration: { min_agents: 6 } } });
      expect(crossed.status).toBe(400);
      expect(crossed.body.message).toMatch(/min_agents \(6\) must not exceed max_agents \(5\)/);
      expect((await stack.http.put(`/swarms/${a.body.id}`, { key, body: { status: 'active' } })).status).toBe(400);
      expect((await stack.http.put(`/swarms/${a.body.id}`, { key, body: { name: 'upd-b' } })).status).toBe(409);
    });
  });

  describe('terminate', () => {
    it('terminates, keeps history, hides it from the default list, and the worker tears it down', async () => {
      const created = await create({ name: 'doomed', topology: 'mesh' });
      const id = created.body.id as string;
      const res = await stack.http.delete(`/swarms/${id}`, { key });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('terminated');
      expect(res.body.terminated_at).not.toBeNull();

      expect((await stack.http.get(`/swarms/${id}`, { key })).body.status).toBe('terminated');
      expect((await stack.http.get('/swarms?limit=100', { key })).body.items.map((s: { id: string }) => s.id)).not.toContain(id);
      expect((await stack.http.get('/swarms?status=terminated', { key })).body.items.map((s: { id: string }) => s.id)).toContain(id);

      const teardown = await eventually(async () => {
        const rows = await stack.db.query(`SELECT data FROM swarm_events WHERE swarm_id = $1 AND type = 'swarm_teardown_completed'`, [id]);
        return rows.rows[0];
      });
      expect(teardown.data).toEqual({ memberships_released: 0, tasks_cancelled: 0 });

      const updateAfter = await stack.http.put(`/swarms/${id}`, { key, body: { name: 'revived' } });
      expect(updateAfter.status).toBe(409);
      expect(updateAfter.body.message).toMatch(/terminated/);

      // A second DELETE is harmless: same answer, no second terminated event.
      expect((await stack.http.delete(`/swarms/${id}`, { key })).status).toBe(200);
      const events = await stack.db.query(`SELECT type FROM swarm_events WHERE swarm_id = $1 ORDER BY id`, [id]);
      expect(events.rows.map((r) => r.type).filter((t) => t === 'swarm_terminated')).toHaveLength(1);
    });

    it('cancels open tasks and releases members during teardown', async () => {
      const created = await create({ name: 'with-work', topology: 'star' });
      const id = created.body.id as string;
      const owner = (await stack.db.query('SELECT owner_id FROM swarms WHERE id = $1', [id])).rows[0].owner_id;
      const agent = await stack.db.query(
        `INSERT INTO agents (id, owner_id, name, agent_type, capabilities, updated_at) VALUES (gen_random_uuid(), $1, 'a1', 'echo', '{}', now()) RETURNING id`,
        [owner],
      );
      await stack.db.query(`INSERT INTO swarm_memberships (id, swarm_id, agent_id) VALUES (gen_random_uuid(), $1, $2)`, [id, agent.rows[0].id]);
      await stack.db.query(
        `INSERT INTO tasks (id, owner_id, swarm_id, task_type, payload, required_capabilities, status, timeout_ms, updated_at)
         VALUES (gen_random_uuid(), $1, $2, 'echo', '{}', '{}', 'queued', 1000, now()),
                (gen_random_uuid(), $1, $2, 'echo', '{}', '{}', 'completed', 1000, now())`,
        [owner, id],
      );
      expect((await stack.http.get(`/swarms/${id}`, { key })).body.agent_count).toBe(1);

      await stack.http.delete(`/swarms/${id}`, { key });
      await eventually(async () => {
        const rows = await stack.db.query(`SELECT 1 FROM swarm_events WHERE swarm_id = $1 AND type = 'swarm_teardown_completed'`, [id]);
        return rows.rowCount === 1;
      });
      const tasks = await stack.db.query(`SELECT status FROM tasks WHERE swarm_id = $1 ORDER BY status`, [id]);
      expect(tasks.rows.map((r) => r.status)).toEqual(['completed', 'cancelled']);
      const membership = await stack.db.query(`SELECT status FROM swarm_memberships WHERE swarm_id = $1`, [id]);
      expect(membership.rows[0].status).toBe('left');
    });
  });
});

import { startTestStack, TestStack } from './support/test-stack';

const TEMPLATES = '/api/v1/topology-templates';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('/api/v1/topology-templates', () => {
  let stack: TestStack;
  let key: string;
  let viewerKey: string;
  let otherOwnerKey: string;

  beforeAll(async () => {
    stack = await startTestStack();
    key = stack.adminKey;
    viewerKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'reader', role: 'viewer' } })).body.key;
    const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'templates-other' } });
    otherOwnerKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'other', role: 'admin', owner_id: owner.body.id } })).body.key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const create = (body: object, k = key) => stack.http.post(TEMPLATES, { key: k, body });
  const list = async (query = '', k = key) => (await stack.http.get(`${TEMPLATES}${query}`, { key: k })).body;
  const systemTemplate = async (name: string) => (await list('?limit=100')).items.find((t: { name: string; is_system: boolean }) => t.is_system && t.name === name);

  describe('system templates', () => {
    it('lists star, mesh, hierarchical and ring to every owner, with settings that fit each', async () => {
      for (const k of [key, otherOwnerKey, viewerKey]) {
        const page = await list('', k);
        const system = page.items.filter((t: { is_system: boolean }) => t.is_system);
        expect(system.map((t: { name: string }) => t.name).sort()).toEqual(['hierarchical', 'mesh', 'ring', 'star']);
      }
      const hierarchical = await systemTemplate('hierarchical');
      expect(hierarchical).toMatchObject({
        topology: 'hierarchical',
        is_system: true,
        configuration: { max_children_per_parent: 3, distribution_algorithm: 'least_loaded' },
      });
      expect(hierarchical.description).toEqual(expect.any(String));
      expect(await systemTemplate('ring')).toMatchObject({ topology: 'ring', configuration: { distribution_algorithm: 'round_robin' } });
      expect(await systemTemplate('mesh')).toMatchObject({ topology: 'mesh', configuration: { distribution_algorithm: 'capability_match' } });
      expect(await systemTemplate('star')).toMatchObject({ topology: 'star', configuration: { distribution_algorithm: 'least_loaded' } });

      const one = await stack.http.get(`${TEMPLATES}/${hierarchical.id}`, { key: otherOwnerKey });
      expect(one.status).toBe(200);
      expect(one.body).toEqual(hierarchical);
    });

    it('are read-only', async () => {
      const star = await systemTemplate('star');
      const put = await stack.http.put(`${TEMPLATES}/${star.id}`, { key, body: { description: 'mine now' } });
      expect(put.status).toBe(403);
      expect(put.body.message).toBe('topology template "star" is a system template and cannot be changed; create your own template instead');
      const del = await stack.http.delete(`${TEMPLATES}/${star.id}`, { key });
      expect(del.status).toBe(403);
      expect(del.body.message).toMatch(/system template and cannot be deleted/);
      expect(await systemTemplate('star')).toEqual(star);
    });

    it('keep their names: an own template may not take one', async () => {
      const res = await create({ name: 'mesh', topology: 'mesh' });
      expect(res.status).toBe(409);
      expect(res.body.message).toBe('"mesh" is the name of a system topology template; choose another name');
    });
  });

  describe('own templates', () => {
    it('creates, gets, updates and deletes, auditing each change', async () => {
      const created = await create({
        name: 'wide-tree',
        description: 'ten per supervisor',
        topology: 'hierarchical',
        configuration: { max_children_per_parent: 10, heartbeat_interval_ms: 1000 },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'wide-tree',
        description: 'ten per supervisor',
        topology: 'hierarchical',
        is_system: false,
        configuration: { max_children_per_parent: 10, heartbeat_interval_ms: 1000 },
      });
      // Only the settings named are kept: the rest are the defaults at swarm creation.
      expect(Object.keys(created.body.configuration).sort()).toEqual(['heartbeat_interval_ms', 'max_children_per_parent']);
      const path = `${TEMPLATES}/${created.body.id}`;

      const got = await stack.http.get(path, { key: viewerKey });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);

      const updated = await stack.http.put(path, { key, body: { name: 'wider-tree', configuration: { max_children_per_parent: 12 } } });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        name: 'wider-tree',
        description: 'ten per supervisor',
        topology: 'hierarchical',
        configuration: { max_children_per_parent: 12, heartbeat_interval_ms: 1000 },
      });
      const cleared = await stack.http.put(path, { key, body: { description: null, topology: 'star' } });
      expect(cleared.body).toMatchObject({ description: null, topology: 'star' });

      const del = await stack.http.delete(path, { key });
      expect(del.status).toBe(204);
      expect((await stack.http.get(path, { key })).status).toBe(404);
      expect((await stack.http.delete(path, { key })).status).toBe(404);

      const audit = await stack.db.query('SELECT action, details FROM audit_logs WHERE resource_id = $1 ORDER BY id', [created.body.id]);
      expect(audit.rows.map((r) => r.action)).toEqual([
        'topology_template.create',
        'topology_template.update',
        'topology_template.update',
        'topology_template.delete',
      ]);
      expect(audit.rows[1].details.changes).toEqual({
        name: { from: 'wide-tree', to: 'wider-tree' },
        'configuration.max_children_per_parent': { from: 10, to: 12 },
      });
    });

    it('lists own and system templates newest first, filters by topology and pages with a cursor', async () => {
      const ids: string[] = [];
      for (const name of ['ring-a', 'ring-b', 'ring-c']) ids.push((await create({ name, topology: 'ring' })).body.id);
      const rings = await list('?topology=ring');
      expect(rings.items.map((t: { name: string }) => t.name)).toEqual(['ring-c', 'ring-b', 'ring-a', 'ring']);
      expect(rings.next_cursor).toBeNull();

      const first = await list('?topology=ring&limit=2');
      expect(first.items.map((t: { id: string }) => t.id)).toEqual([ids[2], ids[1]]);
      const second = await list(`?topology=ring&limit=2&cursor=${first.next_cursor}`);
      expect(second.items.map((t: { name: string }) => t.name)).toEqual(['ring-a', 'ring']);
      expect(second.next_cursor).toBeNull();

      expect((await list('?topology=ring', otherOwnerKey)).items.map((t: { name: string }) => t.name)).toEqual(['ring']);
      const bad = await stack.http.get(`${TEMPLATES}?topology=blob&limit=0&cursor=x`, { key });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/topology must be one of star, mesh, hierarchical, ring/);
      expect(bad.body.message).toMatch(/cursor must be a next_cursor value/);
    });

    it('answers 409 to a duplicate name for the same owner, on create and rename, but not across owners', async () => {
      expect((await create({ name: 'twin', topology: 'star' })).status).toBe(201);
      const again = await create({ name: 'twin', topology: 'mesh' });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe('you already have a topology template named "twin"');
      expect((await create({ name: 'twin', topology: 'mesh' }, otherOwnerKey)).status).toBe(201);

      const other = await create({ name: 'not-twin', topology: 'star' });
      const rename = await stack.http.put(`${TEMPLATES}/${other.body.id}`, { key, body: { name: 'twin' } });
      expect(rename.status).toBe(409);
      expect(rename.body.message).toBe('you already have a topology template named "twin"');
    });

    it("hides another owner's template behind 404 for every verb", async () => {
      const theirs = await create({ name: 'private', topology: 'mesh' }, otherOwnerKey);
      const path = `${TEMPLATES}/${theirs.body.id}`;
      const get = await stack.http.get(path, { key });
      expect(get.status).toBe(404);
      expect(get.body.message).toBe(`topology template ${theirs.body.id} was not found`);
      expect((await stack.http.put(path, { key, body: { name: 'stolen' } })).status).toBe(404);
      expect((await stack.http.delete(path, { key })).status).toBe(404);
      expect((await list('', key)).items.map((t: { id: string }) => t.id)).not.toContain(theirs.body.id);
      expect((await stack.http.get(path, { key: otherOwnerKey })).status).toBe(200);
    });

    it('needs the operator role to write; viewers only read', async () => {
      const res = await create({ name: 'by-viewer', topology: 'star' }, viewerKey);
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/needs the operator role/);
    });
  });

  describe('validation', () => {
    it('rejects a bad topology, naming the field and the choices', async () => {
      const res = await create({ name: 'bad', topology: 'blob' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed' });
      expect(res.body.message).toContain('topology must be one of star, mesh, hierarchical, ring');
      expect((await create({ name: 'missing' })).status).toBe(400);
    });

    it('checks configuration with the rules of a swarm configuration, naming the setting', async () => {
      const range = await create({ name: 'range', topology: 'hierarchical', configuration: { max_children_per_parent: 0 } });
      expect(range.status).toBe(400);
      expect(range.body.message).toMatch(/configuration\.max_children_per_parent: max_children_per_parent must not be less than 1/);

      const algorithm = await create({ name: 'algorithm', topology: 'star', configuration: { distribution_algorithm: 'random' } });
      expect(algorithm.status).toBe(400);
      expect(algorithm.body.message).toMatch(/distribution_algorithm must be one of round_robin, capability_match, least_loaded, affinity, priority_queue/);

      const crossed = await create({ name: 'crossed', topology: 'star', configuration: { min_agents: 200 } });
      expect(crossed.status).toBe(400);
      expect(crossed.body.message).toBe('Invalid template configuration: min_agents (200) must not exceed max_agents (100)');

      const unknown = await create({ name: 'unknown', topology: 'star', configuration: { turbo: true } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details).toEqual(['property configuration.turbo should not exist']);

      const existing = await create({ name: 'checked-on-update', topology: 'star', configuration: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 5000 } });
      const update = await stack.http.put(`${TEMPLATES}/${existing.body.id}`, { key, body: { configuration: { heartbeat_timeout_ms: 800 } } });
      expect(update.status).toBe(400);
      expect(update.body.message).toMatch(/heartbeat_timeout_ms/);
      for (const body of [{ name: null }, { topology: null }, { configuration: null }, { configuration: { max_agents: null } }]) {
        const res = await stack.http.put(`${TEMPLATES}/${existing.body.id}`, { key, body });
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      const bad = await stack.http.get(`${TEMPLATES}/nope`, { key });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('templateId must be a UUID');
      expect((await stack.http.get(`${TEMPLATES}/${UNKNOWN_ID}`, { key })).status).toBe(404);
    });
  });

  describe('swarms created from a template', () => {
    const createSwarm = (body: object, k = key) => stack.http.post('/swarms', { key: k, body });

    it('take the topology and configuration of a system template named by id', async () => {
      const hierarchical = await systemTemplate('hierarchical');
      const res = await createSwarm({ name: 'from-system', template_id: hierarchical.id });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        topology: 'hierarchical',
        topology_template_id: hierarchical.id,
        configuration: { max_children_per_parent: 3, distribution_algorithm: 'least_loaded', max_agents: 100 },
      });
      const stored = await stack.db.query('SELECT topology_template_id FROM swarms WHERE id = $1', [res.body.id]);
      expect(stored.rows[0].topology_template_id).toBe(hierarchical.id);
      const audit = await stack.db.query(`SELECT details FROM audit_logs WHERE resource_id = $1 AND action = 'swarm.create'`, [res.body.id]);
      expect(audit.rows[0].details).toMatchObject({ topology_template_id: hierarchical.id, topology_template: 'hierarchical' });
    });

    it('take an own template named by name; the request configuration and an explicit topology win', async () => {
      const template = await create({
        name: 'fast-ring',
        topology: 'ring',
        configuration: { heartbeat_interval_ms: 1000, max_agents: 8, distribution_algorithm: 'affinity' },
      });
      const plain = await createSwarm({ name: 'from-own', template: 'fast-ring' });
      expect(plain.status).toBe(201);
      expect(plain.body).toMatchObject({
        topology: 'ring',
        topology_template_id: template.body.id,
        configuration: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 3000, max_agents: 8, distribution_algorithm: 'affinity' },
      });

      const overridden = await createSwarm({
        name: 'from-own-overridden',
        template: 'fast-ring',
        topology: 'mesh',
        configuration: { max_agents: 20, heartbeat_interval_ms: 2000 },
      });
      expect(overridden.status).toBe(201);
      expect(overridden.body).toMatchObject({
        topology: 'mesh',
        topology_template_id: template.body.id,
        configuration: { heartbeat_interval_ms: 2000, heartbeat_timeout_ms: 6000, max_agents: 20, distribution_algorithm: 'affinity' },
      });

      const refused = await createSwarm({ name: 'from-own-refused', template: 'fast-ring', configuration: { min_agents: 9 } });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(/min_agents \(9\) must not exceed max_agents \(8\)/);
    });

    it('keep their settings when the template changes or is deleted', async () => {
      const template = await create({ name: 'short-lived', topology: 'star', configuration: { max_agents: 7 } });
      const swarm = await createSwarm({ name: 'outlives-template', template_id: template.body.id });
      await stack.http.put(`${TEMPLATES}/${template.body.id}`, { key, body: { topology: 'mesh', configuration: { max_agents: 9 } } });
      expect((await stack.http.delete(`${TEMPLATES}/${template.body.id}`, { key })).status).toBe(204);

      const after = await stack.http.get(`/swarms/${swarm.body.id}`, { key });
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ topology: 'star', topology_template_id: null, configuration: { max_agents: 7 } });
    });

    it('answer 404 naming an unknown or foreign template, and 400 without topology or template', async () => {
      const unknownId = await createSwarm({ name: 'no-such-id', template_id: UNKNOWN_ID });
      expect(unknownId.status).toBe(404);
      expect(unknownId.body.message).toBe(`topology template ${UNKNOWN_ID} was not found`);

      const unknownName = await createSwarm({ name: 'no-such-name', template: 'nowhere' });
      expect(unknownName.status).toBe(404);
      expect(unknownName.body.message).toBe('topology template "nowhere" was not found');

      const theirs = await create({ name: 'their-template', topology: 'ring' }, otherOwnerKey);
      expect((await createSwarm({ name: 'foreign-id', template_id: theirs.body.id })).status).toBe(404);
      const foreignName = await createSwarm({ name: 'foreign-name', template: 'their-template' });
      expect(foreignName.status).toBe(404);
      expect(foreignName.body.message).toBe('topology template "their-template" was not found');

      const neither = await createSwarm({ name: 'no-topology' });
      expect(neither.status).toBe(400);
      expect(neither.body.message).toContain('topology is required unless a template is named (template_id or template)');

      const both = await createSwarm({ name: 'both', template: 'star', template_id: UNKNOWN_ID });
      expect(both.status).toBe(400);
      expect(both.body.message).toBe('name the template either by template_id or by template, not both');

      expect((await createSwarm({ name: 'bad-id', template_id: 'star' })).body.message).toContain('template_id must be a UUID');
      const none = await stack.db.query(`SELECT count(*)::int AS n FROM swarms WHERE name IN ('no-such-id', 'no-such-name', 'foreign-id', 'foreign-name', 'no-topology', 'both')`);
      expect(none.rows[0].n).toBe(0);
    });

    it('still work without a template', async () => {
      const res = await createSwarm({ name: 'plain', topology: 'star' });
      expect(res.status).toBe(201);
      expect(res.body.topology_template_id).toBeNull();
    });
  });
});

import { EventRecorder, connectAgent, connectOperator, request, AgentClientSocket, OperatorClientSocket } from './support/sockets';
import { eventually, startTestStack, TestStack } from './support/test-stack';

/** Fast timings so failures are noticed in about a second. */
const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 1_500, failover_grace_ms: 60_000 };

describe('agents: registry, gateway, heartbeats and health', () => {
  let stack: TestStack;
  let key: string;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function swarm(name: string, configuration: object = FAST) {
    const res = await stack.http.post('/swarms', { key, body: { name, topology: 'mesh', configuration } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function registerAgent(swarmId: string, body: object = {}) {
    const res = await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { name: 'worker-a', agent_type: 'echo', capabilities: ['echo'], ...body } });
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string; status: string };
  }

  async function agentSocket(token: string, baseUrl = stack.baseUrl): Promise<AgentClientSocket> {
    const socket = await connectAgent(baseUrl, token);
    sockets.push(socket);
    const registered = await request<{ agent_id: string }>(socket, 'agent.register', {});
    expect(registered.ok).toBe(true);
    return socket;
  }

  async function operator(swarmId: string, baseUrl = stack.baseUrl): Promise<{ socket: OperatorClientSocket; events: EventRecorder }> {
    const socket = await connectOperator(baseUrl, key);
    sockets.push(socket);
    const events = new EventRecorder(socket);
    expect(await request(socket, 'subscribe', { swarm_id: swarmId })).toEqual({ ok: true, data: { swarm_id: swarmId } });
    return { socket, events };
  }

  const beat = (socket: AgentClientSocket, extra: object = {}) =>
    request<{ received_at: number; heartbeat_interval_ms: number }>(socket, 'agent.heartbeat', { status: 'idle', cpu_percent: 12.5, memory_mb: 80, queue_depth: 0, ...extra });

  function keepBeating(socket: AgentClientSocket, everyMs = 200) {
    const timer = setInterval(() => void beat(socket).catch(() => undefined), everyMs);
    return { close: () => clearInterval(timer) };
  }

  describe('registry', () => {
    it('registers an agent with a one-time token stored as a hash, and lists it with filters', async () => {
      const swarmId = await swarm('registry');
      const agent = await registerAgent(swarmId, { role: 'coordinator', capabilities: ['summarise', 'echo'] });
      expect(agent.token).toMatch(/^sa_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
      expect(agent.status).toBe('pending');
      const stored = await stack.db.query('SELECT token_hash FROM agents WHERE id = $1', [agent.id]);
      expect(stored.rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);

      const one = await stack.http.get(`/swarms/${swarmId}/agents/${agent.id}`, { key });
      expect(one.body).toMatchObject({ id: agent.id, membership: { role: 'coordinator', status: 'active' } });
      expect(one.body.token).toBeUndefined();

      await registerAgent(swarmId, { name: 'worker-b', capabilities: ['translate'] });
      const bySkill = await stack.http.get(`/swarms/${swarmId}/agents?capability=summarise`, { key });
      expect(bySkill.body.items.map((a: { id: string }) => a.id)).toEqual([agent.id]);
      expect((await stack.http.get(`/swarms/${swarmId}/agents?role=coordinator`, { key })).body.items).toHaveLength(1);
      expect((await stack.http.get(`/swarms/${swarmId}/agents?status=pending`, { key })).body.items).toHaveLength(2);
      expect((await stack.http.get(`/swarms/${swarmId}/agents?status=bogus`, { key })).status).toBe(400);
    });

    it('adds an existing agent to a second swarm, refuses a duplicate and mixed input', async () => {
      const first = await swarm('member-a');
      const second = await swarm('member-b');
      const agent = await registerAgent(first);
      const added = await stack.http.post(`/swarms/${second}/agents`, { key, body: { agent_id: agent.id, priority: 5 } });
      expect(added.status).toBe(201);
      expect(added.body.token).toBeUndefined();
      expect(added.body.membership).toMatchObject({ swarm_id: second, priority: 5 });
      expect((await stack.http.post(`/swarms/${second}/agents`, { key, body: { agent_id: agent.id } })).status).toBe(409);
      const mixed = await stack.http.post(`/swarms/${second}/agents`, { key, body: { agent_id: agent.id, name: 'x' } });
      expect(mixed.status).toBe(400);
      expect(mixed.body.message).toMatch(/do not also send name/);
      const missing = await stack.http.post(`/swarms/${second}/agents`, { key, body: { name: 'x' } });
      expect(missing.body.message).toMatch(/agent_type required/);
      const standalone = await stack.http.post('/api/v1/agents', { key, body: { name: 'loner', agent_type: 'http' } });
      expect(standalone.status).toBe(201);
      expect(standalone.body.token).toMatch(/^sa_/);
      expect((await stack.http.post(`/swarms/${second}/agents`, { key, body: { agent_id: standalone.body.id } })).status).toBe(201);
    });

    it('enforces max_agents and hides other owners’ agents', async () => {
      const small = await swarm('small', { ...FAST, min_agents: 1, max_agents: 1 });
      await registerAgent(small);
      const full = await stack.http.post(`/swarms/${small}/agents`, { key, body: { name: 'extra', agent_type: 'echo' } });
      expect(full.status).toBe(409);
      expect(full.body.message).toMatch(/max_agents \(1\)/);

      const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'agents-other' } });
      const otherKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'o', role: 'admin', owner_id: owner.body.id } })).body.key;
      const theirs = await stack.http.post('/api/v1/agents', { key: otherKey, body: { name: 'theirs', agent_type: 'echo' } });
      expect((await stack.http.post(`/swarms/${small}/agents`, { key, body: { agent_id: theirs.body.id } })).status).toBe(404);
      expect((await stack.http.get(`/api/v1/agents/${theirs.body.id}`, { key })).status).toBe(404);
      expect((await stack.http.get(`/swarms/${small}/agents`, { key: otherKey })).status).toBe(404);
    });
  });

  describe('gateway', () => {
    it('refuses a missing, malformed, unknown or wrong token with a reason', async () => {
      const swarmId = await swarm('auth');
      const agent = await registerAgent(swarmId);
      await expect(connectAgent(stack.baseUrl, undefined)).rejects.toThrow(/missing agent token/);
      await expect(connectAgent(stack.baseUrl, 'nope')).rejects.toThrow('invalid agent token');
      await expect(connectAgent(stack.baseUrl, `${agent.token.slice(0, 12)}${'x'.repeat(32)}`)).rejects.toThrow('invalid agent token');
      await expect(connectAgent(stack.baseUrl, stack.adminKey)).rejects.toThrow('invalid agent token');
    });

    it('validates payloads like REST bodies and requires register before heartbeats', async () => {
      const swarmId = await swarm('validation');
      const agent = await registerAgent(swarmId);
      const socket = await connectAgent(stack.baseUrl, agent.token);
      sockets.push(socket);
      expect(await beat(socket)).toMatchObject({ ok: false, error: { code: 'not_registered' } });
      expect(await request(socket, 'agent.register', { capabilities: ['echo'], colour: 'red' })).toMatchObject({
        ok: false,
        error: { code: 'validation_failed', details: ['property colour should not exist'] },
      });
      const registered = await request<{ heartbeat_interval_ms: number; swarms: unknown[] }>(socket, 'agent.register', { capabilities: ['echo', 'sum'] });
      expect(registered).toMatchObject({ ok: true, data: { agent_id: agent.id, heartbeat_interval_ms: 500, capabilities: ['echo', 'sum'] } });
      const bad = await request(socket, 'agent.heartbeat', { status: 'sleeping', cpu_percent: -1 });
      expect(bad).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
      expect((bad as { error: { message: string } }).error.message).toMatch(/status must be one of starting, idle, busy/);
      expect(await request(socket, 'agent.heartbeat', 'not an object')).toMatchObject({ ok: false, error: { message: 'payload must be a JSON object' } });
    });

    it('keeps one connection per agent: a newer one replaces the older, which is told why', async () => {
      const swarmId = await swarm('one-connection');
      const agent = await registerAgent(swarmId);
      const older = await agentSocket(agent.token);
      const told = new Promise((resolve) => older.once('agent.stop', resolve));
      const cut = new Promise((resolve) => older.once('disconnect', resolve));
      const newer = await agentSocket(agent.token);
      expect(await told).toMatchObject({ reason: 'replaced by a newer connection of the same agent' });
      expect(await cut).toBe('io server disconnect');
      expect(await beat(newer)).toMatchObject({ ok: true });
    });

    it('persists heartbeats to Postgres in batches and marks the agent live', async () => {
      const swarmId = await swarm('heartbeats');
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      const ack = await beat(socket, { status: 'busy', cpu_percent: 42, memory_mb: 123.5, queue_depth: 2 });
      expect(ack).toMatchObject({ ok: true, data: { heartbeat_interval_ms: 500 } });
      const row = await eventually(async () => (await stack.db.query('SELECT * FROM agent_heartbeats WHERE agent_id = $1', [agent.id])).rows[0]);
      expect(row).toMatchObject({ status: 'busy', cpu_percent: 42, memory_mb: 123.5, queue_depth: 2 });
      const stored = await eventually(async () => {
        const r = (await stack.db.query('SELECT status, last_heartbeat_at FROM agents WHERE id = $1', [agent.id])).rows[0];
        return r.last_heartbeat_at && r.status === 'busy' ? r : undefined;
      });
      expect(stored.status).toBe('busy');
    });
  });

  describe('health', () => {
    it('activates a connecting agent, elects it leader, and makes the swarm active', async () => {
      const swarmId = await swarm('activation');
      const { events } = await operator(swarmId);
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      sockets.push(keepBeating(socket));
      await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agent.id);
      const election = await events.waitFor((e) => e.type === 'leader_election');
      expect(election.data).toMatchObject({ elected: agent.id, previous_leader: null });
      const status = await events.waitFor((e) => e.type === 'swarm_status_changed' && e.data.to === 'active');
      expect(['inactive', 'degraded']).toContain(status.data.from);
      await beat(socket);
      const health = await stack.http.get(`/swarms/${swarmId}/health`, { key });
      expect(health.body).toMatchObject({ status: 'active', leader_agent_id: agent.id, healthy_agents: 1, counts_by_status: { idle: 1 } });
      expect(health.body.agents[0]).toMatchObject({ agent_id: agent.id, connected: true, is_leader: true, cpu_percent: 12.5, memory_mb: 80 });
      expect(health.body.agents[0].heartbeat_age_ms).toBeLessThan(2_000);
    });

    it('notices a disconnect at once, hands the leadership over, and recovers the same agent on reconnect', async () => {
      const swarmId = await swarm('disconnect', { ...FAST, heartbeat_interval_ms: 5_000, heartbeat_timeout_ms: 15_000 });
      const { events } = await operator(swarmId);
      const a = await registerAgent(swarmId, { name: 'a', priority: 10 });
      const b = await registerAgent(swarmId, { name: 'b' });
      const socketA = await agentSocket(a.token);
      const socketB = await agentSocket(b.token);
      sockets.push(keepBeating(socketA), keepBeating(socketB));
      await events.waitFor((e) => e.type === 'leader_election' && e.data.elected === a.id);

      const before = Date.now();
      socketA.close();
      const failed = await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === a.id);
      // Noticed from the disconnect itself, long before the 15 s heartbeat timeout.
      expect(failed.data.reason).toBe('disconnected');
      expect(Date.now() - before).toBeLessThan(5_000);
      const reelected = await events.waitFor((e) => e.type === 'leader_election' && e.data.elected === b.id);
      expect(reelected.data).toMatchObject({ previous_leader: a.id, reason: 'leader_unavailable' });

      const again = await agentSocket(a.token);
      sockets.push(keepBeating(again));
      await events.waitFor((e) => e.type === 'agent_recovered' && e.agent_id === a.id);
      const agents = await stack.db.query('SELECT count(*)::int AS n FROM agents WHERE name = $1 AND id = $2', ['a', a.id]);
      expect(agents.rows[0].n).toBe(1);
      expect((await stack.http.get(`/swarms/${swarmId}/agents/${a.id}`, { key })).body.status).toMatch(/idle|busy/);
    });

    it('marks a silent (but connected) agent unhealthy after the timeout and recovers it when it beats again', async () => {
      const swarmId = await swarm('silent');
      const { events } = await operator(swarmId);
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      await beat(socket);
      await events.waitFor((e) => e.type === 'agent_connected');
      const failed = await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agent.id, 6_000);
      expect(failed.data.reason).toBe('heartbeat_timeout');
      expect(await events.waitFor((e) => e.type === 'swarm_status_changed' && e.data.to === 'degraded')).toBeDefined();
      sockets.push(keepBeating(socket));
      await events.waitFor((e) => e.type === 'agent_recovered' && e.agent_id === agent.id, 6_000);
    });

    it('removes an agent unhealthy past the failover grace and stops it', async () => {
      const swarmId = await swarm('grace', { ...FAST, failover_grace_ms: 1_000 });
      const { events } = await operator(swarmId);
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      await beat(socket);
      await events.waitFor((e) => e.type === 'agent_connected');
      socket.close();
      await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agent.id);
      const left = await events.waitFor((e) => e.type === 'agent_left' && e.agent_id === agent.id, 8_000);
      expect(left.data.reason).toBe('failover_grace_expired');
      await events.waitFor((e) => e.type === 'swarm_status_changed' && e.data.to === 'inactive');
      const row = await stack.db.query('SELECT status, stopped_at FROM agents WHERE id = $1', [agent.id]);
      expect(row.rows[0].status).toBe('stopped');
      const membership = await stack.http.get(`/swarms/${swarmId}/agents/${agent.id}`, { key });
      expect(membership.body.membership).toMatchObject({ status: 'left' });
    });

    it('hands back the in-flight work of a failed agent', async () => {
      const swarmId = await swarm('handback');
      const { events } = await operator(swarmId);
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      await beat(socket);
      await events.waitFor((e) => e.type === 'agent_connected');
      const owner = (await stack.db.query('SELECT owner_id FROM swarms WHERE id = $1', [swarmId])).rows[0].owner_id;
      const task = await stack.db.query(
        `INSERT INTO tasks (id, owner_id, swarm_id, task_type, payload, required_capabilities, status, timeout_ms, assigned_agent_id, fencing_token, attempt_count, updated_at)
         VALUES (gen_random_uuid(), $1, $2, 'echo', '{}', '{}', 'running', 1000, $3, 1, 1, now()) RETURNING id`,
        [owner, swarmId, agent.id],
      );
      socket.close();
      const failed = await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agent.id);
      expect(failed.data.tasks_released).toBe(1);
      const row = await stack.db.query('SELECT status, assigned_agent_id, wait_reason FROM tasks WHERE id = $1', [task.rows[0].id]);
      // Straight back to the queue (no backoff: the agent failed, not the task).
      expect(row.rows[0]).toMatchObject({ status: 'queued', assigned_agent_id: null });
      expect(row.rows[0].wait_reason).toMatch(/retry 2\/3 after: agent lost/);
    });
  });

  describe('operators and scale', () => {
    it("refuses operators without credentials and another owner's swarm", async () => {
      await expect(connectOperator(stack.baseUrl, 'sc_wrongkey_0000000000000000000000000000000000')).rejects.toThrow(/Missing or invalid credentials/);
      const swarmId = await swarm('operators');
      const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'ops-other' } });
      const otherKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'o', role: 'viewer', owner_id: owner.body.id } })).body.key;
      const socket = await connectOperator(stack.baseUrl, otherKey);
      sockets.push(socket);
      expect(await request(socket, 'subscribe', { swarm_id: swarmId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    });

    it('tells a removed agent to stop and disconnects it; history stays readable', async () => {
      const swarmId = await swarm('removal');
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token);
      const stop = new Promise((resolve) => socket.once('agent.stop', resolve));
      const gone = new Promise((resolve) => socket.once('disconnect', resolve));
      expect((await stack.http.delete(`/swarms/${swarmId}/agents/${agent.id}`, { key })).status).toBe(204);
      expect(await stop).toMatchObject({ reason: 'removed from its last swarm' });
      await gone;
      const events = await stack.http.get(`/swarms/${swarmId}/events?type=agent_left`, { key });
      expect(events.body.items).toHaveLength(1);
      expect((await stack.http.get(`/swarms/${swarmId}/agents/${agent.id}`, { key })).body.membership.status).toBe('left');
      expect((await stack.http.get(`/swarms/${swarmId}/agents`, { key })).body.items).toHaveLength(0);
    });

    it('cuts off a flooding socket while other agents keep working', async () => {
      const swarmId = await swarm('flood');
      const flooder = await agentSocket((await registerAgent(swarmId, { name: 'flooder' })).token);
      const calm = await agentSocket((await registerAgent(swarmId, { name: 'calm' })).token);
      const dropped = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
      const limited: unknown[] = [];
      const floodError = new Promise((resolve) => flooder.once('agent.error', resolve));
      for (let i = 0; i < 400; i++) flooder.emit('agent.heartbeat', { status: 'idle' }, (r: { ok: boolean }) => !r.ok && limited.push(r));
      expect(await floodError).toMatchObject({ code: 'rate_limited' });
      expect(await dropped).toBe('io server disconnect');
      expect(limited.length).toBeGreaterThan(0);
      expect(await beat(calm)).toMatchObject({ ok: true });
      const metrics = await stack.http.get('/metrics');
      expect(Number(/swarm_socket_events_refused_total\{[^}]*\} (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThan(0);
    });

    it('two api copies act as one: an agent on copy A, an operator on copy B sees its events', async () => {
      const copyB = await stack.startExtraApi();
      const swarmId = await swarm('two-copies');
      const { events } = await operator(swarmId, copyB.baseUrl);
      const agent = await registerAgent(swarmId);
      const socket = await agentSocket(agent.token, stack.baseUrl);
      sockets.push(keepBeating(socket));
      await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agent.id);
      // A removal requested through copy B reaches the agent connected to copy A.
      const stop = new Promise((resolve) => socket.once('agent.stop', resolve));
      expect((await copyB.http.delete(`/swarms/${swarmId}/agents/${agent.id}`, { key })).status).toBe(204);
      await stop;
      await events.waitFor((e) => e.type === 'agent_left' && e.agent_id === agent.id);
    });
  });

  describe('event history', () => {
    it('pages events with type and time filters', async () => {
      const swarmId = await swarm('history');
      for (const name of ['h1', 'h2', 'h3']) await registerAgent(swarmId, { name });
      const all = await stack.http.get(`/swarms/${swarmId}/events?order=asc&limit=100`, { key });
      // The health monitor's sweep may land in between and record the swarm's status: not what this checks.
      const fromRequests = all.body.items.map((e: { type: string }) => e.type).filter((type: string) => type !== 'swarm_status_changed');
      expect(fromRequests).toEqual([
        'swarm_created',
        'agent_registered', 'agent_joined',
        'agent_registered', 'agent_joined',
        'agent_registered', 'agent_joined',
      ]);
      const joined: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await stack.http.get(
          `/swarms/${swarmId}/events?type=agent_joined&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { key },
        );
        joined.push(...page.body.items.map((e) => e.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(joined).toHaveLength(3);
      expect([...joined].sort((x, y) => Number(BigInt(y) - BigInt(x)))).toEqual(joined); // newest first
      const future = new Date(Date.now() + 60_000).toISOString();
      expect((await stack.http.get(`/swarms/${swarmId}/events?since=${future}`, { key })).body.items).toEqual([]);
      expect((await stack.http.get(`/swarms/${swarmId}/events?since=yesterday`, { key })).status).toBe(400);
      expect((await stack.http.get(`/swarms/${swarmId}/events?cursor=abc`, { key })).status).toBe(400);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { ScriptedAgent } from './support/scripted-agent';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

/** The aitbc CLI prints values as rich text: no square brackets inside strings, no :word: sequences. */
function expectPrintable(value: unknown): void {
  if (typeof value === 'string') {
    expect(value).not.toMatch(/[\[\]]/);
    expect(value).not.toMatch(/:[a-z_]+:/i);
  } else if (Array.isArray(value)) value.forEach(expectPrintable);
  else if (value && typeof value === 'object') Object.values(value).forEach(expectPrintable);
}

describe('agent workflows and networks (aitbc CLI contract)', () => {
  let stack: TestStack;
  let key: string;
  const agents: ScriptedAgent[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
  });
  afterAll(async () => {
    while (agents.length) agents.pop()!.close();
    await stack?.close();
  });

  const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2)}`;

  /** What `aitbc agent create --name A` sends, plus keys of a workflow file. */
  async function createWorkflow(extra: object = {}) {
    const res = await stack.http.post('/api/v1/agents/workflows', {
      key,
      body: {
        name: unique('wf'),
        description: 'summarises documents',
        verification_level: 'basic',
        workflow_id: randomUUID(),
        inputs: {},
        max_execution_time: 3600,
        max_cost_budget: 10,
        ...extra,
      },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function connectedAgent(result: (payload: any) => unknown = (p) => ({ part: p.part, doubled: typeof p.item === 'number' ? p.item * 2 : null })) {
    const workflow = await createWorkflow();
    const scripted = await ScriptedAgent.connect(stack.baseUrl, workflow.agent_token, (task) => ({ kind: 'result', result: result(task.payload) }));
    agents.push(scripted);
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [workflow.id]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
    return workflow.id as string;
  }

  async function createNetwork(agentIds: string[], coordination = 'centralized') {
    const res = await stack.http.post('/api/v1/agents/networks', {
      key,
      body: { name: unique('net'), description: 'a test network', agents: agentIds, coordination_strategy: coordination },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('workflows', () => {
    it('creates a workflow as a real agent, keeping the extra keys of a workflow file', async () => {
      const body = await createWorkflow({ type: 'pipeline', steps: [{ name: 'fetch', capability: 'http.fetch' }, { name: 'sum', capabilities: ['summarise'] }], owner_note: 'kept' });
      expect(body).toMatchObject({
        id: expect.any(String),
        agent_id: body.id,
        type: 'pipeline',
        verification_level: 'basic',
        max_execution_time: 3600,
        max_cost_budget: 10,
        capabilities: ['http.fetch', 'summarise'],
        definition: { owner_note: 'kept', type: 'pipeline' },
        agent_token: expect.any(String),
      });
      const agent = await stack.http.get(`/api/v1/agents/${body.id}`, { key });
      expect(agent.status).toBe(200);
      expect(agent.body.agent_type).toBe('workflow');
    });

    it('lists the caller’s workflows with the filters the CLI sends', async () => {
      const full = await createWorkflow({ verification_level: 'full' });
      const all = await stack.http.get('/api/v1/agents/workflows?limit=20', { key });
      expect(all.status).toBe(200);
      expect(all.body.items.length).toBeGreaterThan(0);
      expectPrintable(all.body);
      const filtered = await stack.http.get('/api/v1/agents/workflows?limit=20&verification=full&status=pending', { key });
      expect(filtered.status).toBe(200);
      expect(filtered.body.items.map((w: any) => w.id)).toContain(full.id);
      expect(filtered.body.items.every((w: any) => w.verification_level === 'full' && w.status === 'pending')).toBe(true);
      const mine = await stack.http.get(`/api/v1/agents/workflows?limit=20&owner=${full.owner_id}`, { key });
      expect(mine.body.items.length).toBeGreaterThan(0);
      const theirs = await stack.http.get(`/api/v1/agents/workflows?limit=20&owner=${randomUUID()}`, { key });
      expect(theirs.status).toBe(200);
      expect(theirs.body.items).toEqual([]);
    });

    it('refuses wrong known fields with 400s that name them', async () => {
      const bad = await stack.http.post('/api/v1/agents/workflows', { key, body: { name: 'x', verification_level: 'weak', workflow_id: 'nope', max_cost_budget: -1 } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/verification_level/);
      expect(bad.body.message).toMatch(/workflow_id/);
      expect(bad.body.message).toMatch(/max_cost_budget/);
      expect((await stack.http.post('/api/v1/agents/workflows', { key, body: { description: 'no name' } })).status).toBe(400);
      expect((await stack.http.post('/api/v1/agents/workflows', { key, body: { name: 'x', capabilities: 'one' } })).status).toBe(400);
      expect((await stack.http.get('/api/v1/agents/workflows?limit=0', { key })).status).toBe(400);
    });

    it('documents every route in the API docs', async () => {
      const doc = await stack.http.get('/docs/json');
      const routes = Object.entries(doc.body.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /api/v1/agents/workflows',
          'GET /api/v1/agents/workflows',
          'POST /api/v1/agents/networks',
          'GET /api/v1/agents/networks',
          'GET /api/v1/agents/networks/{networkId}',
          'POST /api/v1/agents/networks/{networkId}/execute',
          'GET /api/v1/agents/networks/{networkId}/executions/{executionId}',
          'GET /api/v1/agents/networks/{networkId}/status',
          'POST /api/v1/agents/networks/{networkId}/optimize',
          'GET /api/v1/agents/networks/{networkId}/optimize',
        ]),
      );
    });

    it('answers 401 to an empty X-Api-Key', async () => {
      expect((await stack.http.get('/api/v1/agents/workflows?limit=20', { key: '' })).status).toBe(401);
      expect((await stack.http.post('/api/v1/agents/networks', { key: '', body: { name: 'n', agents: [randomUUID()] } })).status).toBe(401);
    });
  });

  describe('networks', () => {
    it('creates a network backed by a swarm of the given agents, and reads it back', async () => {
      const a = (await createWorkflow()).id;
      const b = (await createWorkflow()).id;
      const network = await createNetwork([a, b], 'hybrid');
      expect(network).toMatchObject({
        id: expect.any(String),
        name: expect.any(String),
        description: 'a test network',
        agents: expect.arrayContaining([a, b]),
        coordination_strategy: 'hybrid',
        status: expect.any(String),
        created_at: expect.any(String),
        owner_id: expect.any(String),
        topology: 'hierarchical',
      });
      expectPrintable(network);
      const swarm = await stack.http.get(`/swarms/${network.swarm_id}`, { key });
      expect(swarm.status).toBe(200);
      const members = await stack.http.get(`/swarms/${network.swarm_id}/agents`, { key });
      expect(members.body.items.map((m: any) => m.id).sort()).toEqual([a, b].sort());

      // The CLI sends description null when the user gave none.
      const bare = await stack.http.post('/api/v1/agents/networks', { key, body: { name: unique('net'), description: null, agents: [a], coordination_strategy: 'centralized' } });
      expect(bare.status).toBe(201);
      expect(bare.body).toMatchObject({ description: null, topology: 'star' });

      const roundRobin = await createNetwork([a], 'round-robin');
      expect(roundRobin).toMatchObject({ topology: 'star', distribution_algorithm: 'round_robin' });

      expect((await stack.http.get(`/api/v1/agents/networks/${network.id}`, { key })).body.id).toBe(network.id);
      const list = await stack.http.get('/api/v1/agents/networks', { key });
      expect(list.status).toBe(200);
      expect(list.body.items.map((n: any) => n.id)).toContain(network.id);
    });

    it('names every unknown agent in a 404, and refuses bad bodies with 400', async () => {
      const a = (await createWorkflow()).id;
      const missing = [randomUUID(), 'not-an-id'];
      const res = await stack.http.post('/api/v1/agents/networks', { key, body: { name: 'n', agents: [a, ...missing], coordination_strategy: 'centralized' } });
      expect(res.status).toBe(404);
      for (const id of missing) expect(res.body.message).toContain(id);
      expect((await stack.http.post('/api/v1/agents/networks', { key, body: { name: 'n', agents: [], coordination_strategy: 'centralized' } })).status).toBe(400);
      expect((await stack.http.post('/api/v1/agents/networks', { key, body: { name: 'n', agents: [a], coordination_strategy: 'anarchy' } })).status).toBe(400);
      expect((await stack.http.post('/api/v1/agents/networks', { key, body: { name: 'n', agents: [a], extra: 1 } })).status).toBe(400);
    });

    it('executes a task over connected agents: subtasks per item, results aggregated in order', async () => {
      const a = await connectedAgent();
      const b = await connectedAgent();
      const network = await createNetwork([a, b], 'decentralized');
      const res = await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key, body: { task: { type: 'double', items: [1, 2, 3, 4] }, priority: 'high' } });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: expect.any(String), network_id: network.id, task: { type: 'double', items: [1, 2, 3, 4] }, status: expect.any(String), started_at: expect.any(String), results: expect.any(Array) });
      expect(res.body.execution_id).toBe(res.body.id);

      let execution: any;
      await waitUntil(async () => {
        execution = (await stack.http.get(`/api/v1/agents/networks/${network.id}/executions/${res.body.id}`, { key })).body;
        expect(execution.status).toBe('completed');
      }, 20_000);
      expect(execution.results).toEqual([1, 2, 3, 4].map((n, i) => ({ part: i + 1, doubled: n * 2 })));
      expect(execution.progress).toBe(100);

      const status = await stack.http.get(`/api/v1/agents/networks/${network.id}/status`, { key });
      expect(status.status).toBe(200);
      expect(status.body.agents).toMatchObject({ total: 2, live: 2 });
      expect(status.body.tasks.by_status.completed).toBe(4);
      expect(status.body.executions).toEqual({ total: 1, by_status: { completed: 1 } });
      expect(status.body.performance).toMatchObject({ tasks_completed: 4, success_rate: 1 });
      expectPrintable(status.body);

      const some = await stack.http.get(`/api/v1/agents/networks/${network.id}/status?metrics=agents,performance`, { key });
      expect(some.status).toBe(200);
      expect(Object.keys(some.body)).toEqual(expect.arrayContaining(['agents', 'performance']));
      expect(some.body.tasks).toBeUndefined();
      expect(some.body.executions).toBeUndefined();
      expect((await stack.http.get(`/api/v1/agents/networks/${network.id}/status?metrics=bogus`, { key })).status).toBe(400);
    });

    it('without an array, gives every agent the task with its part number', async () => {
      const a = await connectedAgent((p) => ({ part: p.part, parts: p.parts, job: p.task.job }));
      const network = await createNetwork([a]);
      const res = await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key, body: { task: { job: 'report' }, priority: 'normal' } });
      expect(res.status).toBe(202);
      await waitUntil(async () => {
        const execution = (await stack.http.get(`/api/v1/agents/networks/${network.id}/executions/${res.body.id}`, { key })).body;
        expect(execution.results).toEqual([{ part: 1, parts: 1, job: 'report' }]);
      }, 20_000);
      expect((await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key, body: { priority: 'normal' } })).status).toBe(400);
      expect((await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key, body: { task: {}, priority: 'urgent' } })).status).toBe(400);
    });

    it('optimizes: no data gives an empty list and a note; measured imbalance is recommended and applied', async () => {
      const idle = (await createWorkflow()).id;
      const quiet = await createNetwork([idle]);
      const empty = await stack.http.post(`/api/v1/agents/networks/${quiet.id}/optimize`, { key, body: { objective: 'speed' } });
      expect(empty.status).toBe(200);
      expect(empty.body.recommendations).toEqual([]);
      expect(empty.body.note).toMatch(/not enough data/);
      const viaGet = await stack.http.get(`/api/v1/agents/networks/${quiet.id}/optimize`, { key });
      expect(viaGet.status).toBe(200);
      expect(viaGet.body.objective).toBe('efficiency');
      expect((await stack.http.post(`/api/v1/agents/networks/${quiet.id}/optimize`, { key, body: { objective: 'luck' } })).status).toBe(400);
      expect((await stack.http.post(`/api/v1/agents/networks/${quiet.id}/optimize`, { key })).status).toBe(200);

      // Only one of the two agents is connected, so every attempt lands on it.
      const busy = await connectedAgent();
      const offline = (await createWorkflow()).id;
      const network = await createNetwork([busy, offline], 'round-robin');
      const run = await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key, body: { task: { items: Array.from({ length: 12 }, (_, i) => i) }, priority: 'low' } });
      expect(run.status).toBe(202);
      await waitUntil(async () => {
        const execution = (await stack.http.get(`/api/v1/agents/networks/${network.id}/executions/${run.body.id}`, { key })).body;
        expect(execution.status).toBe('completed');
      }, 20_000);
      const advice = await stack.http.post(`/api/v1/agents/networks/${network.id}/optimize`, { key, body: { objective: 'efficiency', apply: true } });
      expect(advice.status).toBe(200);
      const imbalance = advice.body.recommendations.find((r: any) => r.kind === 'switch_distribution');
      expect(imbalance).toMatchObject({ rank: expect.any(Number), change: { distribution_algorithm: 'least_loaded' }, evidence: { max_attempts: 12, max_to_mean: 2 } });
      expect(advice.body.applied).toEqual(expect.arrayContaining([{ kind: 'switch_distribution', change: { distribution_algorithm: 'least_loaded' } }]));
      const swarm = await stack.http.get(`/swarms/${network.swarm_id}`, { key });
      expect(swarm.body.configuration.distribution_algorithm).toBe('least_loaded');
      expectPrintable(advice.body);
    });

    it('hides another owner’s networks (404) and refuses their agents', async () => {
      const a = (await createWorkflow()).id;
      const network = await createNetwork([a]);
      const owner = await stack.http.post('/api/v1/owners', { key, body: { name: unique('nets-other') } });
      const otherKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'o', role: 'admin', owner_id: owner.body.id } })).body.key;
      expect((await stack.http.get(`/api/v1/agents/networks/${network.id}`, { key: otherKey })).status).toBe(404);
      expect((await stack.http.get(`/api/v1/agents/networks/${network.id}/status`, { key: otherKey })).status).toBe(404);
      expect((await stack.http.post(`/api/v1/agents/networks/${network.id}/execute`, { key: otherKey, body: { task: {}, priority: 'normal' } })).status).toBe(404);
      expect((await stack.http.post(`/api/v1/agents/networks/${network.id}/optimize`, { key: otherKey, body: { objective: 'speed' } })).status).toBe(404);
      const theirs = await stack.http.post('/api/v1/agents/networks', { key: otherKey, body: { name: 'n', agents: [a], coordination_strategy: 'centralized' } });
      expect(theirs.status).toBe(404);
      expect(theirs.body.message).toContain(a);
      expect((await stack.http.get('/api/v1/agents/workflows?limit=20', { key: otherKey })).body.items).toEqual([]);
    });
  });
});

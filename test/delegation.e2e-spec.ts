import { AgentClient, DelegationRefusedError, SwarmMessageDelivery, SwarmTopologyPayload } from '@swarm/agent-sdk';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 1_500, failover_grace_ms: 60_000 };

/** Agents built on the SDK: ctx.delegate, sendMessage and the topology events as programs use them. */
describe('SDK: delegation down a hierarchy, messages and topology events', () => {
  let stack: TestStack;
  let key: string;
  const clients: AgentClient[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { TASK_ACK_TIMEOUT_MS: '1500' } });
    key = stack.adminKey;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function swarm(topology: string, configuration: object = {}) {
    const res = await stack.http.post('/swarms', { key, body: { name: `d-${Math.random().toString(36).slice(2)}`, topology, configuration: { ...FAST, ...configuration } } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function member(swarmId: string, name: string, priority: number, setup: (client: AgentClient) => void) {
    const res = await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { name, agent_type: 'sdk', capabilities: ['math'], max_concurrency: 4, priority } });
    expect(res.status).toBe(201);
    const client = new AgentClient({ url: stack.baseUrl, token: res.body.token });
    setup(client);
    clients.push(client);
    await client.connect();
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [res.body.id]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
    return { id: res.body.id as string, client };
  }

  async function final(swarmId: string, taskId: string) {
    let task: any;
    await waitUntil(async () => {
      task = (await stack.http.get(`/swarms/${swarmId}/tasks/${taskId}`, { key })).body;
      expect(['completed', 'failed', 'cancelled', 'timed_out']).toContain(task.status);
    }, 20_000);
    return task;
  }

  it('a coordinator splits a task among its children and combines their results; a leaf worker is refused', async () => {
    const swarmId = await swarm('hierarchical', { max_children_per_parent: 2 });
    const squaredBy: Record<string, string[]> = {};
    const handlers = (client: AgentClient, name: string) => {
      client.onTask<number[]>('sum-of-squares', async (task, ctx) => {
        try {
          const parts = await ctx.delegate(task.payload.map((n) => ({ task_type: 'square', payload: n })));
          return { total: parts.reduce((sum, p) => sum + (p.result as number), 0), by: parts.map((p) => p.agent_id), statuses: parts.map((p) => p.status) };
        } catch (error) {
          if (error instanceof DelegationRefusedError) return { refused: error.rule };
          throw error;
        }
      });
      client.onTask<number>('square', async (task) => {
        (squaredBy[name] ??= []).push(String(task.payload));
        return task.payload * task.payload;
      });
    };
    const boss = await member(swarmId, 'boss', 10, (c) => handlers(c, 'boss'));
    const left = await member(swarmId, 'left', 0, (c) => handlers(c, 'left'));
    const right = await member(swarmId, 'right', 0, (c) => handlers(c, 'right'));
    await waitUntil(async () => {
      const t = (await stack.http.get(`/swarms/${swarmId}/topology`, { key })).body;
      expect(t.leader_id).toBe(boss.id);
      expect(t.nodes.filter((n: { parent_id: string | null }) => n.parent_id === boss.id)).toHaveLength(2);
    });

    const submitted = await stack.http.post(`/swarms/${swarmId}/tasks`, {
      key,
      body: { task_type: 'sum-of-squares', payload: [2, 3, 4, 5], required_capabilities: [`agent:${boss.id}`] },
    });
    expect(submitted.status).toBe(201);
    const done = await final(swarmId, submitted.body.id);
    expect(done.status).toBe('completed');
    expect(done.result.total).toBe(4 + 9 + 16 + 25);
    expect(done.result.statuses).toEqual(['completed', 'completed', 'completed', 'completed']);
    // Spread evenly over the two children, none to the coordinator itself.
    expect([...done.result.by].sort()).toEqual([left.id, left.id, right.id, right.id].sort());
    expect(squaredBy.boss).toBeUndefined();
    const children = await stack.db.query('SELECT status, parent_task_id FROM tasks WHERE parent_task_id = $1', [done.id]);
    expect(children.rows).toHaveLength(4);

    const leaf = await stack.http.post(`/swarms/${swarmId}/tasks`, { key, body: { task_type: 'sum-of-squares', payload: [1], required_capabilities: [`agent:${left.id}`] } });
    expect((await final(swarmId, leaf.body.id)).result).toEqual({ refused: 'hierarchical.delegate_to_children' });
  });

  it('sendMessage follows the topology, and agents hear about their place in it', async () => {
    const swarmId = await swarm('star');
    const inbox: SwarmMessageDelivery[] = [];
    const places: SwarmTopologyPayload[] = [];
    const hub = await member(swarmId, 'hub', 10, (c) => c.on('message', (m) => inbox.push(m)));
    const spoke = await member(swarmId, 'spoke', 0, (c) => c.on('topology', (t) => places.push(t)));
    const other = await member(swarmId, 'other', 0, () => undefined);
    await waitUntil(() => expect(places.at(-1)).toMatchObject({ swarm_id: swarmId, topology: 'star', role: 'worker', leader_id: hub.id, neighbours: [hub.id] }));

    await expect(spoke.client.sendMessage(swarmId, hub.id, { ping: 1 })).resolves.toMatchObject({ rule: 'star.coordinator_link', recipients: [hub.id] });
    await waitUntil(() => expect(inbox).toEqual([expect.objectContaining({ from: spoke.id, payload: { ping: 1 } })]));
    await expect(spoke.client.sendMessage(swarmId, other.id, 'psst')).rejects.toMatchObject({ name: 'MessageRefusedError', code: 'forbidden_by_topology', rule: 'star.workers_talk_to_coordinator_only' });
  });
});

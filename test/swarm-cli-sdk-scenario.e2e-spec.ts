import { AgentClient } from '@swarm/agent-sdk';
import { coordinationReaching } from './support/coordinations';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

interface Coordinated {
  coordination_id: string;
  task: { text: string };
  part?: number;
  parts?: number;
}

/**
 * An aitbc session end to end with real agent programs: members join, agents built on the SDK
 * connect with the tokens the joins returned, and every strategy runs on them, its status and
 * consensus read back as the CLI reads them; then the members leave.
 */
describe('aitbc session with SDK agents', () => {
  let stack: TestStack;
  let key: string;
  const clients: AgentClient[] = [];
  const region = `sdk-${Math.random().toString(36).slice(2, 8)}`;
  let swarmId: string;
  const members: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await stack?.close();
  });

  /** What a model would do: count the words (every member agrees), or its part of them. */
  function program(client: AgentClient): void {
    client.onTask<Coordinated>('swarm.coordinate', async (task) => {
      const words = task.payload.task.text.split(/\s+/).filter(Boolean);
      if (task.payload.part === undefined) return { words: words.length };
      const size = Math.ceil(words.length / task.payload.parts!);
      return { part: task.payload.part, words: words.slice((task.payload.part - 1) * size, task.payload.part * size).length };
    });
    client.onTask<{ task: Coordinated; leader: { result: { words: number } } }>('swarm.coordinate.verify', async (task) => {
      const words = task.payload.task.task.text.split(/\s+/).filter(Boolean).length;
      return { verified: task.payload.leader.result.words === words, reason: `counted ${words}` };
    });
  }

  const status = (taskId: string, wanted?: string) => coordinationReaching(stack, key, taskId, wanted);

  it('joins two members and connects an SDK agent with each token', async () => {
    for (const role of ['task-coordinator', 'resource-optimizer']) {
      const joined = await stack.http.post('/swarm/join', { key, body: { role, capability: 'text', priority: 'normal', region } });
      expect(joined.status).toBe(201);
      swarmId = joined.body.swarm_id;
      members.push(joined.body.member_id);
      const client = new AgentClient({ url: stack.baseUrl, token: joined.body.agent_token });
      program(client);
      clients.push(client);
      await client.connect();
    }
    await waitUntil(async () => {
      const listed = await stack.http.get(`/swarm/list?limit=20&swarm_id=${swarmId}`, { key });
      expect(listed.body.items[0].members.map((m: any) => m.status).sort()).toEqual(['idle', 'idle']);
    });
  });

  it('coordinates by consensus: both agents count, the vote agrees on their real result', async () => {
    const started = await stack.http.post('/swarm/coordinate', { key, body: { task: { text: 'the quick brown fox' }, collaborators: 2, strategy: 'consensus', timeout_seconds: 30 } });
    expect(started.status).toBe(202);
    const done = await status(started.body.task_id);
    expect(done).toMatchObject({ progress: 100, total_collaborators: 2 });
    expect(done.results.map((r: any) => r.result)).toEqual([{ words: 4 }, { words: 4 }]);
    const vote = await stack.http.post(`/swarm/tasks/${started.body.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.body).toMatchObject({ consensus_reached: true, result: { words: 4 }, confidence_score: 1 });
    expect(vote.body.participating_members.sort()).toEqual([...members].sort());
  });

  it('coordinates distributed: each part counted by an agent, in part order', async () => {
    const started = await stack.http.post('/swarm/coordinate', { key, body: { task: { text: 'one two three four five six' }, collaborators: 2, strategy: 'distributed', timeout_seconds: 30 } });
    expect(started.status).toBe(202);
    const done = await status(started.body.task_id);
    expect(done.results.map((r: any) => r.result)).toEqual([
      { part: 1, words: 3 },
      { part: 2, words: 3 },
    ]);
  });

  it('coordinates by leader-election: one agent counts, the other checks it', async () => {
    const started = await stack.http.post('/swarm/coordinate', { key, body: { task: { text: 'a b c' }, collaborators: 2, strategy: 'leader-election', timeout_seconds: 30 } });
    expect(started.status).toBe(202);
    const done = await status(started.body.task_id);
    expect(done.results).toEqual([
      expect.objectContaining({ role: 'leader', status: 'completed', result: { words: 3 } }),
      expect.objectContaining({ role: 'verifier', status: 'completed', verdict: 'approved', result: { verified: true, reason: 'counted 3' } }),
    ]);
    expect(done.results.map((r: any) => r.member_id).sort()).toEqual([...members].sort());
    const vote = await stack.http.post(`/swarm/tasks/${started.body.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.body).toMatchObject({ consensus_reached: true, result: { words: 3 } });
  });

  it('leaves: both members go, their agents are stopped', async () => {
    const left = await fetch(`${stack.baseUrl}/swarm/${swarmId}/leave`, { method: 'POST', headers: { 'x-api-key': key } });
    expect(left.status).toBe(200);
    expect(((await left.json()) as { left: string[] }).left.sort()).toEqual([...members].sort());
    const listed = await stack.http.get(`/swarm/list?limit=20&swarm_id=${swarmId}`, { key });
    expect(listed.body.items[0].member_count).toBe(0);
    const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = ANY($1)', [members]);
    expect(rows.map((r) => r.status)).toEqual(['stopped', 'stopped']);
  });
});

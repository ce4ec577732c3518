import { randomUUID } from 'node:crypto';
import type { TaskAssignPayload } from '@swarm/contracts';
import { ScriptedAgent, ScriptedBehaviour } from './support/scripted-agent';
import { coordinationReaching } from './support/coordinations';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

/** The aitbc CLI prints values as rich text: no square brackets inside strings, no :word: sequences. */
function expectPrintable(value: unknown): void {
  if (typeof value === 'string') {
    expect(value).not.toMatch(/[\[\]]/);
    expect(value).not.toMatch(/:[a-z_]+:/i);
  } else if (Array.isArray(value)) value.forEach(expectPrintable);
  else if (value && typeof value === 'object') Object.values(value).forEach(expectPrintable);
}

/**
 * How the test members answer: parts of a distributed task report their part, replicas of a
 * consensus task agree on a label; 'slow-…' tasks take a moment, 'never-finishes' hangs.
 */
function behaviour(task: TaskAssignPayload): ScriptedBehaviour {
  const payload = task.payload as { task: unknown; part?: number; parts?: number };
  if (payload.task === 'never-finishes') return { kind: 'hang' };
  const delayMs = typeof payload.task === 'string' && payload.task.startsWith('slow-') ? 1500 : 0;
  const result = payload.part !== undefined ? { part: payload.part, parts: payload.parts, of: payload.task } : { label: 'cat', of: payload.task };
  return { kind: 'result', delayMs, result };
}

describe('/swarm endpoints (aitbc CLI contract)', () => {
  let stack: TestStack;
  let key: string;
  const agents: ScriptedAgent[] = [];
  const region = `eu-${Math.random().toString(36).slice(2, 8)}`;
  let swarmId: string;
  let members: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
  });
  afterAll(async () => {
    while (agents.length) agents.pop()!.close();
    await stack?.close();
  });

  /** What `aitbc swarm join --role R --capability C --region X --priority P` sends. */
  async function join(body: object, as = key) {
    const res = await stack.http.post('/swarm/join', { key: as, body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function connect(token: string, memberId: string) {
    agents.push(await ScriptedAgent.connect(stack.baseUrl, token, behaviour));
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [memberId]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
  }

  async function coordinate(body: object) {
    const res = await stack.http.post('/swarm/coordinate', { key, body });
    expect(res.status).toBe(202);
    expect(res.body.task_id).toEqual(expect.any(String));
    return res.body;
  }

  const finalStatus = (taskId: string, status?: string) => coordinationReaching(stack, key, taskId, status);

  it('documents every route in the API docs', async () => {
    const doc = await stack.http.get('/docs/json');
    const routes = Object.entries(doc.body.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /swarm/join',
        'GET /swarm/list',
        'GET /swarm/status',
        'POST /swarm/coordinate',
        'GET /swarm/tasks/{taskId}/status',
        'POST /swarm/tasks/{taskId}/consensus',
        'POST /swarm/consensus',
        'POST /swarm/{swarmId}/leave',
        'POST /swarm/leave',
      ]),
    );
  });

  it('answers 401 to an empty X-Api-Key', async () => {
    expect((await stack.http.post('/swarm/join', { key: '', body: { role: 'monitor', capability: 'x', priority: 'low' } })).status).toBe(401);
    expect((await stack.http.get('/swarm/list?limit=20', { key: '' })).status).toBe(401);
  });

  it('joins members as new agents, in a swarm of their region', async () => {
    const first = await join({ role: 'task-coordinator', capability: 'gpu-inference', priority: 'high', region });
    expect(first).toMatchObject({
      swarm_id: expect.any(String),
      member_id: expect.any(String),
      role: 'task-coordinator',
      status: 'active',
      joined_at: expect.any(String),
      agent_token: expect.any(String),
      swarm_name: `cli-${region}-1`,
    });
    expectPrintable({ ...first, agent_token: undefined });
    const second = await join({ role: 'load-balancer', capability: 'gpu-inference', priority: 'normal', region });
    expect(second.swarm_id).toBe(first.swarm_id);
    swarmId = first.swarm_id;
    members = [first.member_id, second.member_id];

    const { rows } = await stack.db.query('SELECT m.priority, a.capabilities, a.metadata FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id WHERE m.agent_id = ANY($1) ORDER BY m.priority DESC', [members]);
    expect(rows.map((r) => r.priority)).toEqual([10, 5]);
    expect(rows[0]).toMatchObject({ capabilities: ['gpu-inference'], metadata: { cli_role: 'task-coordinator', region } });

    // No region: the default region's swarm, not this one.
    const elsewhere = await join({ role: 'monitor', capability: 'metrics', priority: 'low' });
    expect(elsewhere.swarm_id).not.toBe(swarmId);
    expect(elsewhere.swarm_name).toBe('cli-default-1');

    await connect(first.agent_token, first.member_id);
    await connect(second.agent_token, second.member_id);
  });

  it('refuses bad join bodies with 400s that name the field', async () => {
    const bad = await stack.http.post('/swarm/join', { key, body: { role: 'overlord', capability: 'x', priority: 'urgent' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/role/);
    expect(bad.body.message).toMatch(/priority/);
    expect((await stack.http.post('/swarm/join', { key, body: { role: 'monitor', capability: 'x', region: 'eu west!' } })).status).toBe(400);
    expect((await stack.http.post('/swarm/join', { key, body: { role: 'monitor' } })).status).toBe(400);
  });

  it('lists the caller’s swarms with their members, honouring the filters', async () => {
    const res = await stack.http.get('/swarm/list?limit=20', { key });
    expect(res.status).toBe(200);
    expectPrintable(res.body);
    const mine = res.body.items.find((s: any) => s.swarm_id === swarmId);
    expect(mine).toMatchObject({ name: `cli-${region}-1`, status: expect.any(String), topology: 'mesh', member_count: 2 });
    expect(mine.members.map((m: any) => m.member_id).sort()).toEqual([...members].sort());
    expect(mine.members[0]).toMatchObject({ role: 'task-coordinator', capability: 'gpu-inference', status: expect.stringMatching(/idle|busy/), joined_at: expect.any(String) });

    const one = await stack.http.get(`/swarm/list?limit=20&swarm_id=${swarmId}`, { key });
    expect(one.body.items.map((s: any) => s.swarm_id)).toEqual([swarmId]);
    expect((await stack.http.get('/swarm/list?limit=1', { key })).body.items).toHaveLength(1);
    const terminated = await stack.http.get('/swarm/list?limit=20&status=terminated', { key });
    expect(terminated.status).toBe(200);
    expect(terminated.body.items).toEqual([]);
    expect((await stack.http.get('/swarm/list?limit=20&status=sleepy', { key })).status).toBe(400);
  });

  it('answers 409 when the swarm has too few live members', async () => {
    const res = await stack.http.post('/swarm/coordinate', { key, body: { task: 'classify', collaborators: 3, strategy: 'consensus', timeout_seconds: 60 } });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/3 collaborators needed/);
    expect(res.body.message).toMatch(/has 2 live members/);
    const leader = await stack.http.post('/swarm/coordinate', { key, body: { task: 'classify', collaborators: 3, strategy: 'leader-election', timeout_seconds: 60 } });
    expect(leader.status).toBe(409);
    expect(leader.body.message).toMatch(/3 collaborators needed but swarm .+ has 2 live members/);
    expect((await stack.http.post('/swarm/coordinate', { key, body: { collaborators: 2, strategy: 'consensus' } })).status).toBe(400);
    expect((await stack.http.post('/swarm/coordinate', { key, body: { task: 'x', collaborators: 1, strategy: 'consensus' } })).status).toBe(400);
  });

  it('coordinates by consensus: a redundant task on 2 members, voted on their real results', async () => {
    const started = await coordinate({ task: 'slow-classify', collaborators: 2, strategy: 'consensus', timeout_seconds: 60 });
    expect(started).toMatchObject({ status: 'running', strategy: 'consensus', collaborators: 2 });

    const early = await stack.http.post(`/swarm/tasks/${started.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(early.status).toBe(200);
    expect(early.body.consensus_reached).toBe(false);
    expect(early.body.reason).toMatch(/waiting for results/);

    const done = await finalStatus(started.task_id);
    expect(done).toMatchObject({ progress: 100, total_collaborators: 2, active_collaborators: 0 });
    expect(done.results.map((r: any) => r.member_id).sort()).toEqual([...members].sort());
    expect(done.results.every((r: any) => r.result.label === 'cat')).toBe(true);
    expectPrintable(done);

    const vote = await stack.http.post(`/swarm/tasks/${started.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.status).toBe(200);
    expect(vote.body).toMatchObject({ consensus_reached: true, result: { label: 'cat', of: 'slow-classify' }, confidence_score: 1 });
    expect(vote.body.participating_members.sort()).toEqual([...members].sort());
    expect(vote.body.votes).toEqual([{ result: { label: 'cat', of: 'slow-classify' }, member_ids: expect.arrayContaining(members), weight: 2 }]);
    expect((await stack.http.post(`/swarm/tasks/${started.task_id}/consensus`, { key, body: { consensus_threshold: 0.4 } })).status).toBe(400);
  });

  it('coordinates distributed: one part per collaborator, results in part order', async () => {
    const started = await coordinate({ task: 'crunch', collaborators: 2, strategy: 'distributed', timeout_seconds: 60 });
    expect(started).toMatchObject({ strategy: 'distributed', collaborators: 2 });
    const done = await finalStatus(started.task_id);
    expect(done.progress).toBe(100);
    expect(done.results.map((r: any) => r.result)).toEqual([
      { part: 1, parts: 2, of: 'crunch' },
      { part: 2, parts: 2, of: 'crunch' },
    ]);
    // The parts answered differently: nothing to agree on.
    const vote = await stack.http.post(`/swarm/tasks/${started.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.status).toBe(200);
    expect(vote.body.consensus_reached).toBe(false);
    expect(vote.body.reason).toEqual(expect.any(String));
  });

  it('accepts the older document’s coordinate and consensus bodies', async () => {
    const started = await coordinate({ task_id: 'legacy-job', parameters: { collaborators: 2 } });
    expect(started).toMatchObject({ strategy: 'map-reduce', run_as: 'distributed', collaborators: 2 });
    await finalStatus(started.task_id);
    const vote = await stack.http.post('/swarm/consensus', { key, body: { task_id: started.task_id, consensus_algorithm: 'majority-vote', timeout_seconds: 30 } });
    expect(vote.status).toBe(200);
    expect(typeof vote.body.consensus_reached).toBe('boolean');
    expect(vote.body.participating_members.length).toBeGreaterThan(0);
  });

  it('summarises the swarms with real numbers under GET /swarm/status', async () => {
    const res = await stack.http.get('/swarm/status', { key });
    expect(res.status).toBe(200);
    expectPrintable(res.body);
    const mine = res.body.find((s: any) => s.swarm_id === swarmId);
    expect(mine).toMatchObject({ member_count: 2, active_tasks: 0, coordination_status: 'idle', coordinations: { total: 3, completed: 3 } });
    expect(mine.performance_metrics.tasks_completed).toBeGreaterThanOrEqual(6);
    const one = await stack.http.get(`/swarm/status?swarm_id=${swarmId}`, { key });
    expect(one.body.map((s: any) => s.swarm_id)).toEqual([swarmId]);
    expect((await stack.http.get(`/swarm/status?swarm_id=${randomUUID()}`, { key })).status).toBe(404);
  });

  it('hides another owner’s swarms and coordinations (404)', async () => {
    const coordination = (await stack.db.query('SELECT id FROM swarm_coordinations LIMIT 1')).rows[0].id;
    const owner = await stack.http.post('/api/v1/owners', { key, body: { name: `swarm-cli-other-${randomUUID()}` } });
    const otherKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'o', role: 'admin', owner_id: owner.body.id } })).body.key;
    expect((await stack.http.get(`/swarm/tasks/${coordination}/status`, { key: otherKey })).status).toBe(404);
    expect((await stack.http.post(`/swarm/tasks/${coordination}/consensus`, { key: otherKey, body: { consensus_threshold: 0.7 } })).status).toBe(404);
    expect((await stack.http.post(`/swarm/${swarmId}/leave`, { key: otherKey })).status).toBe(404);
    expect((await stack.http.post('/swarm/coordinate', { key: otherKey, body: { task: 't', collaborators: 1, strategy: 'distributed', swarm_id: swarmId } })).status).toBe(404);
    // Without a swarm of their own there is nothing to coordinate in.
    expect((await stack.http.post('/swarm/coordinate', { key: otherKey, body: { task: 't', collaborators: 1, strategy: 'distributed', timeout_seconds: 5 } })).status).toBe(409);
    expect((await stack.http.get('/swarm/list?limit=20', { key: otherKey })).body.items).toEqual([]);
    expect((await stack.http.get('/swarm/status', { key: otherKey })).body).toEqual([]);
  });

  it('reads a coordination past its timeout as failed, with the reason', async () => {
    const started = await coordinate({ task: 'never-finishes', collaborators: 2, strategy: 'distributed', timeout_seconds: 1 });
    const failed = await finalStatus(started.task_id, 'failed');
    expect(failed.reason).toMatch(/timed out after 1 seconds/);
    const vote = await stack.http.post(`/swarm/tasks/${started.task_id}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.body).toMatchObject({ consensus_reached: false, reason: expect.stringMatching(/no collaborator completed/) });
    expectPrintable(failed);
  });

  it('leaves with no body at all: every member of the caller in that swarm', async () => {
    // Exactly what the CLI sends: POST, Content-Length 0, no Content-Type.
    const res = await fetch(`${stack.baseUrl}/swarm/${swarmId}/leave`, { method: 'POST', headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { swarm_id: string; left: string[] };
    expect(body.swarm_id).toBe(swarmId);
    expect(body.left.sort()).toEqual([...members].sort());
    const list = await stack.http.get(`/swarm/list?limit=20&swarm_id=${swarmId}`, { key });
    expect(list.body.items[0].member_count).toBe(0);

    // The older form names the swarm (and optionally the member) in a body.
    const extra = await join({ role: 'monitor', capability: 'metrics', priority: 'low', region });
    expect(extra.swarm_id).toBe(swarmId);
    const legacy = await stack.http.post('/swarm/leave', { key, body: { swarm_id: swarmId, member_id: extra.member_id } });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual({ swarm_id: swarmId, left: [extra.member_id] });
    expect((await stack.http.post('/swarm/leave', { key, body: { swarm_id: swarmId, member_id: extra.member_id } })).status).toBe(404);
  });
});

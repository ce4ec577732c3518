import type { TaskAssignPayload } from '@swarm/contracts';
import { ScriptedAgent, ScriptedBehaviour } from './support/scripted-agent';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 1_500, failover_grace_ms: 60_000 };

describe('redundant execution: n distinct agents, result decided by a vote', () => {
  let stack: TestStack;
  let key: string;
  const agents: ScriptedAgent[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { TASK_ACK_TIMEOUT_MS: '1500' } });
    key = stack.adminKey;
  });
  afterEach(() => {
    while (agents.length) agents.pop()!.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function swarm() {
    const res = await stack.http.post('/swarms', { key, body: { name: `r-${Math.random().toString(36).slice(2)}`, topology: 'mesh', configuration: FAST } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function agent(swarmId: string, behave: (t: TaskAssignPayload) => ScriptedBehaviour, capabilities = ['echo']) {
    const res = await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { name: `a-${Math.random().toString(36).slice(2)}`, agent_type: 'test', capabilities, max_concurrency: 2 } });
    expect(res.status).toBe(201);
    const scripted = await ScriptedAgent.connect(stack.baseUrl, res.body.token, behave);
    agents.push(scripted);
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [res.body.id]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
    return { id: res.body.id as string, scripted };
  }

  const submit = (swarmId: string, body: object) => stack.http.post(`/swarms/${swarmId}/tasks`, { key, body });

  async function final(swarmId: string, taskId: string) {
    let task: any;
    await waitUntil(async () => {
      task = (await stack.http.get(`/swarms/${swarmId}/tasks/${taskId}`, { key })).body;
      expect(['completed', 'failed', 'cancelled', 'timed_out']).toContain(task.status);
    }, 15_000);
    return task;
  }

  it('runs on n distinct agents and completes with the agreed result, every result on record', async () => {
    const swarmId = await swarm();
    const team = [
      await agent(swarmId, () => ({ kind: 'result', result: { label: 'cat' } })),
      await agent(swarmId, () => ({ kind: 'result', delayMs: 50, result: { label: 'cat' } })),
      await agent(swarmId, () => ({ kind: 'result', delayMs: 100, result: { label: 'cat' } })),
    ];
    const res = await submit(swarmId, { task_type: 'classify', payload: { image: 1 }, redundancy: 3 });
    expect(res.status).toBe(201);
    const parent = res.body;
    expect(parent).toMatchObject({ status: 'running', redundancy: { replicas: 3, algorithm: 'majority', match_field: null }, consensus: null });
    expect(new Set(parent.redundancy.agents)).toEqual(new Set(team.map((a) => a.id)));

    const done = await final(swarmId, parent.id);
    expect(done).toMatchObject({ status: 'completed', result: { label: 'cat' }, consensus: { status: 'decided', algorithm: 'majority', match: 'exact' } });
    expect(done.consensus.confidence).toBeCloseTo(1);
    expect(done.consensus.replicas).toHaveLength(3);
    expect(new Set(done.consensus.replicas.map((r: { agent_id: string }) => r.agent_id))).toEqual(new Set(team.map((a) => a.id)));
    // Each replica ran on its own agent, once.
    const { rows } = await stack.db.query(
      `SELECT t.id, a.agent_id FROM tasks t JOIN task_attempts a ON a.task_id = t.id WHERE t.parent_task_id = $1 AND a.status = 'completed'`,
      [parent.id],
    );
    expect(new Set(rows.map((r) => r.agent_id)).size).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const a of team) expect(a.scripted.assignments.filter((t) => t.task_type === 'classify').length).toBeLessThanOrEqual(1);
  });

  it('decides early: once two of three agree, the slow third replica is cancelled', async () => {
    const swarmId = await swarm();
    await agent(swarmId, () => ({ kind: 'result', result: 7 }));
    await agent(swarmId, () => ({ kind: 'result', result: 7 }));
    const slow = await agent(swarmId, () => ({ kind: 'hang' }));
    const res = await submit(swarmId, { task_type: 'sum', redundancy: 3 });
    const done = await final(swarmId, res.body.id);
    expect(done).toMatchObject({ status: 'completed', result: 7 });
    await waitUntil(() => expect(slow.scripted.cancels).toHaveLength(1));
    const statuses = done.consensus.replicas.map((r: { status: string }) => r.status).sort();
    expect(statuses).toEqual(['completed', 'completed', 'running']);
    const { rows } = await stack.db.query(`SELECT status FROM tasks WHERE parent_task_id = $1 ORDER BY status`, [done.id]);
    expect(rows.map((r) => r.status).sort()).toEqual(['cancelled', 'completed', 'completed']);
  });

  it('matches on a named field, and fails with the reason when results disagree', async () => {
    const swarmId = await swarm();
    let n = 0;
    await agent(swarmId, (t) => ({ kind: 'result', result: { label: (t.payload as { a: string }).a, took: ++n } }));
    await agent(swarmId, (t) => ({ kind: 'result', result: { label: (t.payload as { a: string }).a, took: ++n } }));
    await agent(swarmId, (t) => ({ kind: 'result', result: { label: (t.payload as { b: string }).b, took: ++n } }));

    const byField = await submit(swarmId, { task_type: 'label', payload: { a: 'x', b: 'y' }, redundancy: 3, consensus: { match_field: 'label' } });
    const agreed = await final(swarmId, byField.body.id);
    expect(agreed).toMatchObject({ status: 'completed', result: { label: 'x' }, consensus: { match: { field: 'label' } } });
    expect(agreed.consensus.groups[0].agent_ids).toHaveLength(2);

    const unanimous = await submit(swarmId, { task_type: 'label', payload: { a: 'x', b: 'y' }, redundancy: 3, consensus: { algorithm: 'unanimous', match_field: 'label' } });
    const refused = await final(swarmId, unanimous.body.id);
    expect(refused).toMatchObject({ status: 'failed', consensus: { status: 'not_reached', reason: 'not_unanimous' } });
    expect(refused.error).toMatch(/the 3 replicas did not agree \(not_unanimous/);
  });

  it('releases dependants once decided, and cancelling the task cancels its replicas', async () => {
    const swarmId = await swarm();
    await agent(swarmId, () => ({ kind: 'result', result: 'ok' }));
    await agent(swarmId, () => ({ kind: 'result', result: 'ok' }));
    const parent = (await submit(swarmId, { task_type: 'check', redundancy: 2, idempotency_key: 'redundant-1' })).body;
    const again = await submit(swarmId, { task_type: 'check', redundancy: 2, idempotency_key: 'redundant-1' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(parent.id);
    const dependant = (await submit(swarmId, { task_type: 'after', depends_on: [parent.id] })).body;
    expect(await final(swarmId, dependant.id)).toMatchObject({ status: 'completed' });
    expect((await final(swarmId, parent.id)).status).toBe('completed');

    const hanging = await swarm();
    await agent(hanging, () => ({ kind: 'hang' }));
    await agent(hanging, () => ({ kind: 'hang' }));
    const stuck = (await submit(hanging, { task_type: 'slow', redundancy: 2 })).body;
    await waitUntil(async () => {
      const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM tasks WHERE parent_task_id = $1 AND status = 'running'`, [stuck.id]);
      expect(rows[0].n).toBe(2);
    });
    expect((await stack.http.post(`/swarms/${hanging}/tasks/${stuck.id}/cancel`, { key, body: {} })).status).toBe(200);
    await waitUntil(async () => {
      const { rows } = await stack.db.query(`SELECT status FROM tasks WHERE parent_task_id = $1`, [stuck.id]);
      expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    });
  });

  it('moves a replica off an agent that is lost to a live agent that runs none of the others', async () => {
    const swarmId = await swarm();
    const team = [];
    for (let i = 0; i < 4; i++) team.push(await agent(swarmId, () => ({ kind: 'result', delayMs: 800, result: 'same' })));
    const res = await submit(swarmId, { task_type: 'vote', redundancy: 3, consensus: { algorithm: 'unanimous' } });
    const chosen: string[] = res.body.redundancy.agents;
    const spare = team.find((a) => !chosen.includes(a.id))!;
    const lost = team.find((a) => a.id === chosen[0])!;
    await waitUntil(() => expect(lost.scripted.assignments).toHaveLength(1));
    lost.scripted.close();

    const done = await final(swarmId, res.body.id);
    expect(done).toMatchObject({ status: 'completed', result: 'same', consensus: { status: 'decided', algorithm: 'unanimous' } });
    const voters = done.consensus.replicas.map((r: { agent_id: string }) => r.agent_id).sort();
    expect(voters).toEqual([...chosen.slice(1), spare.id].sort());
    expect(done.redundancy.agents).toContain(spare.id);
    expect(done.redundancy.agents).not.toContain(lost.id);
  });

  it('refuses what cannot work with a clear error', async () => {
    const swarmId = await swarm();
    await agent(swarmId, () => ({ kind: 'result' }));
    await agent(swarmId, () => ({ kind: 'result' }), ['gpu']);
    const tooMany = await submit(swarmId, { task_type: 'x', redundancy: 3 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.message).toBe('redundancy 3 needs 3 distinct live agents; the swarm has 2');
    const capable = await submit(swarmId, { task_type: 'x', redundancy: 2, required_capabilities: ['gpu'] });
    expect(capable.status).toBe(409);
    expect(capable.body.message).toMatch(/with capabilities \[gpu\]; the swarm has 1/);
    expect((await submit(swarmId, { task_type: 'x', redundancy: 1 })).status).toBe(400);
    expect((await submit(swarmId, { task_type: 'x', consensus: { algorithm: 'majority' } })).body.message).toMatch(/consensus applies to redundant tasks only/);
    expect((await submit(swarmId, { tasks: [{ task_type: 'x', redundancy: 2 }, { task_type: 'y' }] })).body.message).toMatch(/submitted on its own/);
    expect((await submit(swarmId, { task_type: 'x', redundancy: 2, consensus: { algorithm: 'delegated' } })).body.message).toMatch(/consensus.algorithm must be one of/);
    expect((await submit(swarmId, { task_type: 'x', redundancy: 2, consensus: 'majority' })).status).toBe(400);
  });

  it('runs a leader-elected task: the elected leader runs it, the others verify, the verified result stands', async () => {
    const swarmId = await swarm();
    const behave = (t: TaskAssignPayload): ScriptedBehaviour =>
      t.task_type === 'summarise.verify' ? { kind: 'result', result: { verified: true } } : { kind: 'result', result: { summary: 'short' } };
    const team = [];
    for (let i = 0; i < 3; i++) team.push(await agent(swarmId, behave));
    const res = await submit(swarmId, { task_type: 'summarise', payload: { text: 'long' }, leader_election: 3, idempotency_key: 'elected-1' });
    expect(res.status).toBe(201);
    expect(res.body.verification).toMatchObject({ collaborators: expect.any(Array), leader: expect.any(String), verifiers: expect.any(Array) });
    expect(res.body.verification.collaborators.sort()).toEqual(team.map((a) => a.id).sort());
    const again = await submit(swarmId, { task_type: 'summarise', leader_election: 3, idempotency_key: 'elected-1' });
    expect(again.body.id).toBe(res.body.id);

    const done = await final(swarmId, res.body.id);
    expect(done).toMatchObject({ status: 'completed', result: { summary: 'short' } });
    expect(done.verification.verifiers).toEqual([
      expect.objectContaining({ status: 'completed', verdict: 'approved' }),
      expect.objectContaining({ status: 'completed', verdict: 'approved' }),
    ]);
    const leader = team.find((a) => a.id === done.verification.leader)!;
    expect(leader.scripted.assignments.map((t) => t.task_type)).toEqual(['summarise']);
    for (const other of team.filter((a) => a !== leader)) expect(other.scripted.assignments.map((t) => t.task_type)).toEqual(['summarise.verify']);
  });

  it('replaces a verifier lost before its check with another live agent', async () => {
    const swarmId = await swarm();
    let hangingVerifier: string | null = null;
    const team: Array<{ id: string; scripted: ScriptedAgent }> = [];
    const behaviourOf = (self: () => string) => (t: TaskAssignPayload): ScriptedBehaviour => {
      if (t.task_type !== 'label.verify') return { kind: 'result', result: { label: 'cat' } };
      // The first verifier to get a check never answers: it is then lost.
      if (hangingVerifier === null) hangingVerifier = self();
      return hangingVerifier === self() ? { kind: 'hang' } : { kind: 'result', result: { verified: true } };
    };
    for (let i = 0; i < 4; i++) {
      let id = '';
      const member = await agent(swarmId, behaviourOf(() => id));
      id = member.id;
      team.push(member);
    }
    const res = await submit(swarmId, { task_type: 'label', leader_election: 3 });
    expect(res.status).toBe(201);
    const spare = team.find((a) => !res.body.verification.collaborators.includes(a.id))!;
    await waitUntil(() => expect(hangingVerifier).not.toBeNull());
    team.find((a) => a.id === hangingVerifier)!.scripted.close();

    const done = await final(swarmId, res.body.id);
    expect(done).toMatchObject({ status: 'completed', result: { label: 'cat' } });
    const checkers = done.verification.verifiers.map((v: { agent_id: string }) => v.agent_id);
    expect(checkers).toContain(spare.id);
    expect(checkers).not.toContain(hangingVerifier);
    expect(done.verification.verifiers.every((v: { verdict: string }) => v.verdict === 'approved')).toBe(true);
  });

  it('refuses leader-elected tasks that cannot work', async () => {
    const swarmId = await swarm();
    await agent(swarmId, () => ({ kind: 'result' }));
    await agent(swarmId, () => ({ kind: 'result' }));
    const tooMany = await submit(swarmId, { task_type: 'x', leader_election: 3 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.message).toBe('leader_election 3 needs 3 distinct live agents; the swarm has 2');
    expect((await submit(swarmId, { task_type: 'x', leader_election: 1 })).status).toBe(400);
    expect((await submit(swarmId, { task_type: 'x', leader_election: 2, redundancy: 2 })).body.message).toMatch(/either leader-elected or redundant/);
    expect((await submit(swarmId, { tasks: [{ task_type: 'x', leader_election: 2 }, { task_type: 'y' }] })).body.message).toMatch(/submitted on its own/);
  });
});

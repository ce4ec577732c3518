import type { TaskAssignPayload } from '@swarm/contracts';
import { ScriptedAgent, ScriptedBehaviour } from './support/scripted-agent';
import { coordinationReaching } from './support/coordinations';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

interface CoordinationPayload {
  coordination_id: string;
  task: string;
}

/** What `aitbc swarm coordinate --strategy leader-election` runs: one leader, the others verify. */
describe('/swarm/coordinate with strategy leader-election', () => {
  let stack: TestStack;
  let key: string;
  const agents: ScriptedAgent[] = [];
  const region = `le-${Math.random().toString(36).slice(2, 8)}`;
  let swarmId: string;
  const members: string[] = [];
  /** Coordinations whose first leader already ran (and, for 'leader-fails', failed). */
  const led = new Set<string>();

  /**
   * Leaders label the task; verifiers approve, except on 'disputed' where they reject; on
   * 'leader-fails' the first leader fails for good and whoever takes over succeeds.
   */
  function behaviour(task: TaskAssignPayload): ScriptedBehaviour {
    if (task.task_type === 'swarm.coordinate.verify') {
      const { task: original, leader } = task.payload as { task: CoordinationPayload; leader: { result: unknown } };
      if (original.task === 'disputed') return { kind: 'result', result: { verified: false, reason: 'the label is wrong' } };
      if (original.task === 'recompute') return { kind: 'result', result: { label: 'cat', of: original.task } };
      return { kind: 'result', result: { verified: leader.result !== null } };
    }
    const payload = task.payload as CoordinationPayload;
    const first = !led.has(payload.coordination_id);
    led.add(payload.coordination_id);
    if (payload.task === 'leader-fails' && first) return { kind: 'fail', error: 'model crashed', retryable: false };
    if (payload.task === 'leader-lost' && first) return { kind: 'hang' };
    return { kind: 'result', delayMs: 200, result: { label: 'cat', of: payload.task } };
  }

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
    for (let i = 0; i < 3; i++) {
      const joined = await stack.http.post('/swarm/join', { key, body: { role: 'task-coordinator', capability: 'inference', priority: 'normal', region } });
      expect(joined.status).toBe(201);
      swarmId = joined.body.swarm_id;
      members.push(joined.body.member_id);
      agents.push(await ScriptedAgent.connect(stack.baseUrl, joined.body.agent_token, behaviour));
    }
    await waitUntil(async () => {
      const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM agents WHERE id = ANY($1) AND status IN ('idle', 'busy')`, [members]);
      expect(rows[0].n).toBe(3);
    });
  });
  afterAll(async () => {
    while (agents.length) agents.pop()!.close();
    await stack?.close();
  });

  async function coordinate(task: string, collaborators = 3) {
    const res = await stack.http.post('/swarm/coordinate', { key, body: { task, collaborators, strategy: 'leader-election', timeout_seconds: 60, swarm_id: swarmId } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'running', strategy: 'leader-election', collaborators, total_collaborators: collaborators });
    return res.body.task_id as string;
  }

  const settled = (taskId: string, status?: string) => coordinationReaching(stack, key, taskId, status);

  it('elects a leader that runs the task while the others verify it; the verified result is the answer', async () => {
    const taskId = await coordinate('classify');
    const done = await settled(taskId, 'completed');
    expect(done.progress).toBe(100);
    const leader = done.results.find((r: any) => r.role === 'leader');
    const verifiers = done.results.filter((r: any) => r.role === 'verifier');
    expect(leader).toMatchObject({ status: 'completed', result: { label: 'cat', of: 'classify' } });
    expect(verifiers).toHaveLength(2);
    expect(verifiers.every((v: any) => v.status === 'completed' && v.verdict === 'approved')).toBe(true);
    expect([leader.member_id, ...verifiers.map((v: any) => v.member_id)].sort()).toEqual([...members].sort());

    // Each verifier was sent the leader's result to check.
    const checks = agents.flatMap((a) => a.assignments.filter((t) => t.task_type === 'swarm.coordinate.verify' && (t.payload as any).task.coordination_id === taskId));
    expect(checks).toHaveLength(2);
    expect(checks.every((t) => (t.payload as any).leader.agent_id === leader.member_id)).toBe(true);
    expect(checks.every((t) => JSON.stringify((t.payload as any).leader.result) === JSON.stringify(leader.result))).toBe(true);

    const vote = await stack.http.post(`/swarm/tasks/${taskId}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.status).toBe(200);
    expect(vote.body).toMatchObject({ consensus_reached: true, result: { label: 'cat', of: 'classify' }, confidence_score: 1 });
    expect(vote.body.participating_members.sort()).toEqual([...members].sort());

    // The engine's record: who won the election and why.
    const { rows } = await stack.db.query('SELECT parent_task_id FROM swarm_coordinations WHERE id = $1', [taskId]);
    const parent = await stack.http.get(`/swarms/${swarmId}/tasks/${rows[0].parent_task_id}`, { key });
    expect(parent.body).toMatchObject({ status: 'completed', result: { label: 'cat', of: 'classify' } });
    expect(parent.body.verification).toMatchObject({ leader: leader.member_id, election: { leader: leader.member_id, reason: expect.any(String) } });
    expect(parent.body.verification.election.ranking).toHaveLength(3);
  });

  it('accepts a verifier’s own recomputed result as its verdict when it equals the leader’s', async () => {
    const done = await settled(await coordinate('recompute', 2), 'completed');
    expect(done.results.filter((r: any) => r.role === 'verifier')).toEqual([expect.objectContaining({ verdict: 'approved', result: { label: 'cat', of: 'recompute' } })]);
  });

  it('fails when the verifiers reject the leader’s result, saying why', async () => {
    const taskId = await coordinate('disputed');
    const failed = await settled(taskId, 'failed');
    // Decided at the first rejection (2 approvals were needed of 2); the other check is then
    // cancelled, or, when it reported in the same moment, completed without being counted.
    expect(failed.reason).toMatch(/result was not verified: 0 of 2 verifiers approved, 2 needed; [12] rejected it \(.+: the label is wrong\)/);
    const checks = failed.results.filter((r: any) => r.role === 'verifier');
    expect(checks.filter((r: any) => r.verdict === 'rejected').length).toBeGreaterThanOrEqual(1);
    expect(checks.every((r: any) => r.verdict === 'rejected' || ['cancelled', 'completed'].includes(r.status))).toBe(true);
    const vote = await stack.http.post(`/swarm/tasks/${taskId}/consensus`, { key, body: { consensus_threshold: 0.7 } });
    expect(vote.body.consensus_reached).toBe(false);
  });

  it('hands leadership to the next ranked collaborator when the leader fails', async () => {
    const taskId = await coordinate('leader-fails');
    const done = await settled(taskId, 'completed');
    const former = done.results.find((r: any) => r.role === 'former_leader');
    const leader = done.results.find((r: any) => r.role === 'leader');
    expect(former).toMatchObject({ status: 'failed', error: expect.stringMatching(/model crashed/) });
    expect(leader).toMatchObject({ status: 'completed', result: { label: 'cat', of: 'leader-fails' } });
    expect(leader.member_id).not.toBe(former.member_id);
    const verifiers = done.results.filter((r: any) => r.role === 'verifier');
    expect(verifiers).toEqual([expect.objectContaining({ verdict: 'approved' })]);
    expect([former.member_id, leader.member_id, verifiers[0].member_id].sort()).toEqual([...members].sort());
  });

  it('refuses too many or too few collaborators with the numbers', async () => {
    const many = await stack.http.post('/swarm/coordinate', { key, body: { task: 't', collaborators: 4, strategy: 'leader-election', swarm_id: swarmId } });
    expect(many.status).toBe(409);
    expect(many.body.message).toMatch(/4 collaborators needed but swarm .+ has 3 live members/);
    const one = await stack.http.post('/swarm/coordinate', { key, body: { task: 't', collaborators: 1, strategy: 'leader-election', swarm_id: swarmId } });
    expect(one.status).toBe(400);
    expect(one.body.message).toMatch(/leader-election needs at least 2 collaborators/);
  });

  it('passes leadership on when the leader is lost before it finishes', async () => {
    const fast = await stack.http.put(`/swarms/${swarmId}`, { key, body: { configuration: { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 1_500 } } });
    expect(fast.status).toBe(200);
    const taskId = await coordinate('leader-lost');
    let lost: ScriptedAgent | undefined;
    await waitUntil(() => {
      lost = agents.find((a) => a.assignments.some((t) => t.task_type === 'swarm.coordinate' && (t.payload as CoordinationPayload).coordination_id === taskId));
      expect(lost).toBeDefined();
    });
    lost!.close();
    const done = await settled(taskId, 'completed');
    const leader = done.results.find((r: any) => r.role === 'leader');
    expect(leader).toMatchObject({ status: 'completed', result: { label: 'cat', of: 'leader-lost' } });
    expect(done.results.filter((r: any) => r.role === 'verifier')).toEqual([expect.objectContaining({ verdict: 'approved' })]);
    const { rows } = await stack.db.query('SELECT t.verification FROM swarm_coordinations c JOIN tasks t ON t.id = c.parent_task_id WHERE c.id = $1', [taskId]);
    expect(rows[0].verification.former_leaders).toEqual([expect.objectContaining({ reason: expect.stringMatching(/was lost before it finished/) })]);
    expect(rows[0].verification.leader).toBe(leader.member_id);
    expect(rows[0].verification.former_leaders[0].agent_id).not.toBe(leader.member_id);
  });
});

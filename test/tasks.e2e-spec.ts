import { ScriptedAgent, ScriptedBehaviour } from './support/scripted-agent';
import { request } from './support/sockets';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

import type { TaskAssignPayload } from '@swarm/contracts';
import { Metrics } from '@swarm/observability';

const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 1_500, failover_grace_ms: 60_000 };

describe('tasks: submission, distribution, dependencies, retries, timeouts, cancel', () => {
  let stack: TestStack;
  let key: string;
  const agents: ScriptedAgent[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { TASK_ACK_TIMEOUT_MS: '1500', BODY_LIMIT_BYTES: String(2 * 1024 * 1024) } });
    key = stack.adminKey;
  });
  afterEach(() => {
    while (agents.length) agents.pop()!.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function swarm(configuration: object = {}) {
    const res = await stack.http.post('/swarms', { key, body: { name: `s-${Math.random().toString(36).slice(2)}`, topology: 'mesh', configuration: { ...FAST, ...configuration } } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function agent(
    swarmId: string,
    options: { capabilities?: string[]; maxConcurrency?: number; behave?: (t: TaskAssignPayload) => ScriptedBehaviour; batches?: boolean } = {},
  ) {
    const res = await stack.http.post(`/swarms/${swarmId}/agents`, {
      key,
      body: { name: `a-${Math.random().toString(36).slice(2)}`, agent_type: 'test', capabilities: options.capabilities ?? ['echo'], max_concurrency: options.maxConcurrency ?? 1 },
    });
    expect(res.status).toBe(201);
    const scripted = await ScriptedAgent.connect(stack.baseUrl, res.body.token, options.behave, { batches: options.batches });
    agents.push(scripted);
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [res.body.id]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
    return { id: res.body.id as string, scripted };
  }

  async function submit(swarmId: string, body: object) {
    return stack.http.post(`/swarms/${swarmId}/tasks`, { key, body });
  }

  async function task(swarmId: string, id: string) {
    const res = await stack.http.get(`/swarms/${swarmId}/tasks/${id}`, { key });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function until(swarmId: string, id: string, status: string, timeoutMs = 15_000) {
    let last: { status: string } | undefined;
    await waitUntil(async () => {
      last = await task(swarmId, id);
      expect(last!.status).toBe(status);
    }, timeoutMs);
    return last as Record<string, any>;
  }

  it('sends a pass of work as one task.assign.batch and takes task.report.batch, answering each report on its own', async () => {
    const swarmId = await swarm();
    const { scripted } = await agent(swarmId, { maxConcurrency: 4, batches: true, behave: () => ({ kind: 'ignore' }) });
    const res = await submit(swarmId, { tasks: [1, 2, 3, 4].map((n) => ({ task_type: 'echo', payload: { n } })) });
    expect(res.status).toBe(201);
    await waitUntil(() => expect(scripted.assignments).toHaveLength(4));
    expect(scripted.batchSizes).toEqual([4]);
    const byN = new Map(scripted.assignments.map((a) => [(a.payload as { n: number }).n, a]));
    const attempt = (n: number) => ({ task_id: byN.get(n)!.task_id, fencing_token: byN.get(n)!.fencing_token });

    const answer = await request<{ received_at: number; results: Array<{ ok: boolean; error?: { code: string; message: string } }> }>(scripted.socket, 'task.report.batch', {
      reports: [
        { type: 'ack', ...attempt(1) },
        { type: 'result', ...attempt(1), result: { done: 1 } },
        { type: 'result', ...attempt(2), result: { done: 2 } },
        { type: 'result', task_id: attempt(3).task_id, fencing_token: 'not-a-token' },
        { type: 'finish', ...attempt(3) },
        { type: 'result', task_id: attempt(4).task_id, fencing_token: '999999999' },
      ],
    });
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    const results = answer.data.results;
    expect(results.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(results[3]).toMatchObject({ ok: false, error: { code: 'validation_failed', message: expect.stringContaining('reports.3: fencing_token') } });
    expect(results[4]).toMatchObject({ ok: false, error: { code: 'validation_failed', message: 'reports.4.type: type must be one of ack, progress, result, fail' } });
    expect(results[5]).toMatchObject({ ok: false, error: { code: 'superseded' } });

    expect((await until(swarmId, attempt(1).task_id, 'completed')).result).toEqual({ done: 1 });
    expect((await until(swarmId, attempt(2).task_id, 'completed')).result).toEqual({ done: 2 });
    expect((await task(swarmId, attempt(3).task_id)).status).toBe('assigned');
    // The same result again: the attempt is over, so it is refused, not counted twice.
    const repeat = await request<{ results: Array<{ ok: boolean; error?: { code: string } }> }>(scripted.socket, 'task.report.batch', {
      reports: [{ type: 'result', ...attempt(1), result: { done: 'again' } }],
    });
    expect(repeat.ok && repeat.data.results[0]).toMatchObject({ ok: false, error: { code: 'superseded' } });
    expect((await task(swarmId, attempt(1).task_id)).result).toEqual({ done: 1 });

    for (const bad of [{ reports: [] }, { reports: [{ type: 'ack', ...attempt(3) }], extra: true }, 'nope']) {
      const refused = await request(scripted.socket, 'task.report.batch', bad);
      expect(refused).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    }
  });

  it('runs a task on an agent and records result, attempt and times; the same idempotency key gives the same task', async () => {
    const swarmId = await swarm();
    const worker = await agent(swarmId);
    const created = await submit(swarmId, { task_type: 'echo', payload: { text: 'hi' }, priority: 7, idempotency_key: 'job-1' });
    expect(created.status).toBe(201);
    expect(['queued', 'assigned', 'running', 'completed']).toContain(created.body.status);
    const done = await until(swarmId, created.body.id, 'completed');
    expect(done.result).toEqual({ echo: { text: 'hi' } });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ attempt: 1, agent_id: worker.id, status: 'completed', error: null });
    for (const field of ['queued_at', 'assigned_at', 'started_at', 'completed_at']) expect(done[field]).not.toBeNull();
    expect(Date.parse(done.completed_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));

    const again = await submit(swarmId, { task_type: 'echo', payload: { text: 'other' }, idempotency_key: 'job-1' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    expect(worker.scripted.assignments).toHaveLength(1);
  });

  it('times each stage from submission to assignment in the api and worker metrics', async () => {
    const stageCount = async (metrics: Metrics, histogram: 'taskSubmitStage' | 'taskDispatchStage', stage: string) =>
      (await metrics[histogram].get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.stage === stage)?.value ?? 0;
    const stageSum = async (metrics: Metrics, histogram: 'taskSubmitStage' | 'taskDispatchStage', stage: string) =>
      (await metrics[histogram].get()).values.find((v) => v.metricName?.endsWith('_sum') && v.labels.stage === stage)?.value ?? 0;
    const api = stack.api.get(Metrics);
    const worker = stack.worker!.get(Metrics);
    const swarmId = await swarm();
    await agent(swarmId, { maxConcurrency: 2 });
    const before = {
      insert: await stageCount(api, 'taskSubmitStage', 'insert'),
      enqueue: await stageCount(api, 'taskSubmitStage', 'enqueue'),
      pickup: await stageCount(worker, 'taskDispatchStage', 'pickup'),
      commit: await stageCount(worker, 'taskDispatchStage', 'commit'),
      snapshot: await stageCount(worker, 'taskDispatchStage', 'snapshot'),
      plan: await stageCount(worker, 'taskDispatchStage', 'plan'),
      claim: await stageCount(worker, 'taskDispatchStage', 'claim'),
      pickupSum: await stageSum(worker, 'taskDispatchStage', 'pickup'),
      insertSum: await stageSum(api, 'taskSubmitStage', 'insert'),
    };

    const res = await submit(swarmId, { tasks: [{ task_type: 'echo' }, { task_type: 'echo' }] });
    expect(res.status).toBe(201);
    for (const t of res.body.tasks) await until(swarmId, t.id, 'completed');

    // One observation per request for the submission's stages, one per claimed task for pickup.
    expect(await stageCount(api, 'taskSubmitStage', 'insert')).toBe(before.insert + 1);
    expect(await stageCount(api, 'taskSubmitStage', 'enqueue')).toBe(before.enqueue + 1);
    expect(await stageCount(worker, 'taskDispatchStage', 'pickup')).toBe(before.pickup + 2);
    expect(await stageCount(worker, 'taskDispatchStage', 'commit')).toBeGreaterThan(before.commit);
    for (const stage of ['snapshot', 'plan', 'claim'] as const) expect(await stageCount(worker, 'taskDispatchStage', stage)).toBeGreaterThan(before[stage]);
    // Pickup runs from queued_at like insert does, so it covers the request's insert (ms clocks: 2 ms slack).
    const pickupEach = ((await stageSum(worker, 'taskDispatchStage', 'pickup')) - before.pickupSum) / 2;
    const insertTook = (await stageSum(api, 'taskSubmitStage', 'insert')) - before.insertSum;
    expect(insertTook).toBeGreaterThanOrEqual(0);
    expect(pickupEach).toBeGreaterThanOrEqual(insertTook - 0.002);
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(text).toMatch(/swarm_task_submit_stage_seconds_count\{service="swarm-api",stage="enqueue"\} [1-9]/);
  });

  it('creates one task for 50 concurrent submissions with the same idempotency key', async () => {
    const swarmId = await swarm();
    const responses = await Promise.all(Array.from({ length: 50 }, () => submit(swarmId, { task_type: 'echo', idempotency_key: 'same-key' })));
    expect(responses.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM tasks WHERE idempotency_key = 'same-key' AND swarm_id = $1", [swarmId]);
    expect(rows[0].n).toBe(1);
  });

  it('rejects bad input with clear 400s and hides other swarms', async () => {
    const swarmId = await swarm();
    const cases: Array<[object, RegExp]> = [
      [{ task_type: '' }, /task_type/],
      [{ task_type: 'x', priority: 11 }, /priority/],
      [{ task_type: 'x', unknown: 1 }, /unknown should not exist/],
      [{ tasks: [] }, /tasks/],
      [{ task_type: 'x', depends_on: ['nope'] }, /neither a task id nor a ref/],
      [{ task_type: 'x', depends_on: ['0190a8b4-0000-7000-8000-000000000000'] }, /not found in this swarm/],
      [{ tasks: [{ task_type: 'a', ref: 'a', depends_on: ['b'] }, { task_type: 'b', ref: 'b', depends_on: ['a'] }] }, /dependency cycle: a -> b -> a|dependency cycle: b -> a -> b/],
      [{ task_type: 'x', ref: 'self', depends_on: ['self'] }, /dependency cycle/],
      [{ task_type: 'x', payload: 'y'.repeat(300 * 1024) }, /payload is \d+ bytes/],
    ];
    for (const [body, message] of cases) {
      const res = await submit(swarmId, body);
      expect({ body: JSON.stringify(body).slice(0, 200), status: res.status }).toEqual({ body: JSON.stringify(body).slice(0, 200), status: 400 });
      expect(res.body.message).toMatch(message);
    }
    const missing = await stack.http.get(`/swarms/${swarmId}/tasks/0190a8b4-0000-7000-8000-000000000000`, { key });
    expect(missing.status).toBe(404);
  });

  it('releases dependants in order, fails success-dependants of a failed task and runs completion-dependants', async () => {
    const swarmId = await swarm();
    const order: string[] = [];
    await agent(swarmId, {
      maxConcurrency: 4,
      behave: (t) => {
        order.push(t.task_type);
        return t.task_type === 'breaks' ? { kind: 'fail', retryable: false, error: 'bad input' } : { kind: 'result', delayMs: 20 };
      },
    });
    const res = await submit(swarmId, {
      tasks: [
        { task_type: 'third', ref: 'c', depends_on: ['b'] },
        { task_type: 'second', ref: 'b', depends_on: ['a'] },
        { task_type: 'first', ref: 'a' },
        { task_type: 'breaks', ref: 'x' },
        { task_type: 'needs-x', ref: 'y', depends_on: ['x'] },
        { task_type: 'after-x', ref: 'z', depends_on: ['x'], dependency_type: 'completion' },
        { task_type: 'needs-y', depends_on: ['y'] },
      ],
    });
    expect(res.status).toBe(201);
    const [c, b, a, x, y, z, w] = res.body.tasks.map((t: { id: string }) => t.id);
    expect(res.body.tasks[0]).toMatchObject({ status: 'pending', depends_on: [{ task_id: b, type: 'success' }] });
    await until(swarmId, c, 'completed');
    expect(order.indexOf('first')).toBeLessThan(order.indexOf('second'));
    expect(order.indexOf('second')).toBeLessThan(order.indexOf('third'));
    await until(swarmId, a, 'completed');
    expect((await until(swarmId, x, 'failed')).error).toMatch(/bad input/);
    expect((await until(swarmId, y, 'failed')).error).toMatch(new RegExp(`dependency ${x}`));
    expect((await until(swarmId, w, 'failed')).error).toMatch(new RegExp(`dependency ${y}`));
    await until(swarmId, z, 'completed');
    expect(order.filter((t) => t === 'needs-x' || t === 'needs-y')).toEqual([]);
  });

  it('retries a retryable failure with backoff and stops at max_attempts; a non-retryable one is not retried', async () => {
    const swarmId = await swarm();
    let calls = 0;
    await agent(swarmId, { behave: (t) => (t.task_type === 'flaky' && ++calls === 1 ? { kind: 'fail', error: 'transient' } : t.task_type === 'always' ? { kind: 'fail', error: 'still broken' } : t.task_type === 'fatal' ? { kind: 'fail', retryable: false, error: 'bad' } : { kind: 'result' }) });
    const flaky = (await submit(swarmId, { task_type: 'flaky' })).body.id;
    const always = (await submit(swarmId, { task_type: 'always', max_attempts: 2 })).body.id;
    const fatal = (await submit(swarmId, { task_type: 'fatal', max_attempts: 5 })).body.id;
    const flakyDone = await until(swarmId, flaky, 'completed');
    expect(flakyDone.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'completed']);
    expect(flakyDone.attempts[0]).toMatchObject({ error: 'transient', retryable: true });
    // Backoff: about a second (±20 %) between the failure and the next assignment.
    const gap = Date.parse(flakyDone.attempts[1].assigned_at) - Date.parse(flakyDone.attempts[0].finished_at);
    expect(gap).toBeGreaterThanOrEqual(700);
    const alwaysDone = await until(swarmId, always, 'failed');
    expect(alwaysDone.attempt_count).toBe(2);
    expect(alwaysDone.error).toMatch(/still broken/);
    const fatalDone = await until(swarmId, fatal, 'failed');
    expect(fatalDone.attempt_count).toBe(1);
  });

  it('times out an attempt, tells the agent to cancel, and ignores its late result', async () => {
    const swarmId = await swarm();
    const worker = await agent(swarmId, { behave: () => ({ kind: 'hang' }) });
    const id = (await submit(swarmId, { task_type: 'slow', timeout_ms: 500, max_attempts: 1 })).body.id;
    const done = await until(swarmId, id, 'timed_out');
    expect(done.attempts[0]).toMatchObject({ status: 'timed_out' });
    expect(done.error).toMatch(/timed out after 500 ms/);
    await waitUntil(() => expect(worker.scripted.cancels.map((c) => c.task_id)).toContain(id));
    const assignment = worker.scripted.assignments[0];
    const late = await worker.scripted.report('task.result', { task_id: id, fencing_token: assignment.fencing_token, result: 'late' });
    expect(late).toMatchObject({ ok: false, error: { code: 'superseded' } });
    expect((await task(swarmId, id)).status).toBe('timed_out');
  });

  it('gives an unacknowledged assignment to another agent after the ack timeout', async () => {
    const swarmId = await swarm({ distribution_algorithm: 'round_robin' });
    const deaf = await agent(swarmId, { behave: () => ({ kind: 'ignore' }) });
    const id = (await submit(swarmId, { task_type: 'echo', max_attempts: 5 })).body.id;
    await waitUntil(() => expect(deaf.scripted.assignments).toHaveLength(1));
    const good = await agent(swarmId);
    const done = await until(swarmId, id, 'completed');
    // Round robin may try the deaf agent again before the good one: every attempt but the last timed out there.
    const attempts = done.attempts.map((a: { agent_id: string; status: string }) => [a.agent_id, a.status]);
    expect(attempts.at(-1)).toEqual([good.id, 'completed']);
    expect(attempts.slice(0, -1).length).toBeGreaterThanOrEqual(1);
    for (const earlier of attempts.slice(0, -1)) expect(earlier).toEqual([deaf.id, 'timed_out']);
  });

  it('keeps a task waiting with a reason until an agent with the capability joins', async () => {
    const swarmId = await swarm();
    await agent(swarmId, { capabilities: ['cpu'] });
    const id = (await submit(swarmId, { task_type: 'render', required_capabilities: ['gpu'] })).body.id;
    await waitUntil(async () => expect((await task(swarmId, id)).wait_reason).toMatch(/gpu/));
    expect((await task(swarmId, id)).status).toBe('queued');
    const gpu = await agent(swarmId, { capabilities: ['gpu', 'cpu'] });
    const done = await until(swarmId, id, 'completed');
    expect(done.assigned_agent_id).toBe(gpu.id);
    expect(done.wait_reason).toBeNull();
  });

  it('never gives an agent more than its max_concurrency, and runs higher priority first', async () => {
    const swarmId = await swarm({ distribution_algorithm: 'priority_queue' });
    const order: number[] = [];
    const worker = await agent(swarmId, { maxConcurrency: 2, behave: (t) => (order.push(t.priority), { kind: 'result', delayMs: 50 }) });
    const res = await submit(swarmId, { tasks: [...Array.from({ length: 6 }, () => ({ task_type: 'low', priority: 1 })), ...Array.from({ length: 6 }, () => ({ task_type: 'high', priority: 9 }))] });
    expect(res.status).toBe(201);
    for (const t of res.body.tasks) await until(swarmId, t.id, 'completed');
    expect(worker.scripted.maxRunning).toBeLessThanOrEqual(2);
    expect(order.slice(0, 6)).toEqual([9, 9, 9, 9, 9, 9]);
  });

  it('cancels a queued task and a running one (the agent is told), settling dependants', async () => {
    const swarmId = await swarm();
    const waiting = (await submit(swarmId, { tasks: [{ task_type: 'a', ref: 'a' }, { task_type: 'b', depends_on: ['a'] }] })).body.tasks;
    const cancelled = await stack.http.post(`/swarms/${swarmId}/tasks/${waiting[0].id}/cancel`, { key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await until(swarmId, waiting[1].id, 'failed')).error).toMatch(/cancelled/);
    const again = await stack.http.post(`/swarms/${swarmId}/tasks/${waiting[0].id}/cancel`, { key });
    expect(again.status).toBe(409);

    const worker = await agent(swarmId, { behave: () => ({ kind: 'hang' }) });
    const running = (await submit(swarmId, { task_type: 'long' })).body.id;
    await until(swarmId, running, 'running');
    expect((await stack.http.post(`/swarms/${swarmId}/tasks/${running}/cancel`, { key })).body.status).toBe('cancelled');
    await waitUntil(() => expect(worker.scripted.cancels.map((c) => c.task_id)).toContain(running));
    // Its slot is free again: the next task runs although the first never answered.
    const next = (await submit(swarmId, { task_type: 'next' })).body.id;
    await waitUntil(() => expect(worker.scripted.assignments.map((a) => a.task_id)).toContain(next));
  });

  it('steals: a fast agent ends up doing most of the work planned round robin for a slow one', async () => {
    const swarmId = await swarm({ distribution_algorithm: 'round_robin' });
    const slow = await agent(swarmId, { maxConcurrency: 2, behave: () => ({ kind: 'result', delayMs: 600 }) });
    const fast = await agent(swarmId, { maxConcurrency: 2, behave: () => ({ kind: 'result', delayMs: 10 }) });
    const res = await submit(swarmId, { tasks: Array.from({ length: 40 }, (_, i) => ({ task_type: 'work', payload: { i } })) });
    const ids: string[] = res.body.tasks.map((t: { id: string }) => t.id);
    await waitUntil(async () => {
      const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM tasks WHERE swarm_id = $1 AND status = 'completed'", [swarmId]);
      expect(rows[0].n).toBe(40);
    }, 30_000);
    const { rows } = await stack.db.query(
      "SELECT t.id, count(a.*) FILTER (WHERE a.status = 'completed')::int AS completed FROM tasks t JOIN task_attempts a ON a.task_id = t.id WHERE t.swarm_id = $1 GROUP BY t.id",
      [swarmId],
    );
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.completed === 1)).toBe(true);
    const byFast = fast.scripted.completedIds().length;
    const bySlow = slow.scripted.completedIds().length;
    expect(byFast + bySlow).toBe(40);
    expect(byFast).toBeGreaterThan(30);
  });

  it('hands the work of an agent that disconnects to another; each task completes exactly once', async () => {
    const swarmId = await swarm({ distribution_algorithm: 'least_loaded' });
    const doomed = await agent(swarmId, { maxConcurrency: 5, behave: () => ({ kind: 'hang' }) });
    const res = await submit(swarmId, { tasks: Array.from({ length: 5 }, () => ({ task_type: 'work' })) });
    await waitUntil(() => expect(doomed.scripted.assignments).toHaveLength(5));
    const survivor = await agent(swarmId, { maxConcurrency: 5 });
    doomed.scripted.close();
    for (const t of res.body.tasks) {
      const done = await until(swarmId, t.id, 'completed');
      expect(done.attempts.map((a: { agent_id: string; status: string }) => [a.agent_id, a.status])).toEqual([
        [doomed.id, 'failed'],
        [survivor.id, 'completed'],
      ]);
      expect(done.attempts[0].error).toMatch(/agent lost/);
    }
  });

  it('hands the work of an agent removed from the swarm to another at once; each task completes exactly once', async () => {
    const swarmId = await swarm();
    const removed = await agent(swarmId, { maxConcurrency: 4, behave: () => ({ kind: 'hang' }) });
    const res = await submit(swarmId, { tasks: Array.from({ length: 4 }, (_, i) => ({ task_type: 'echo', payload: { i } })) });
    const ids: string[] = res.body.tasks.map((t: { id: string }) => t.id);
    await waitUntil(() => expect(removed.scripted.assignments).toHaveLength(4));
    const keeper = await agent(swarmId, { maxConcurrency: 4 });
    expect((await stack.http.delete(`/swarms/${swarmId}/agents/${removed.id}`, { key })).status).toBe(204);
    for (const id of ids) await until(swarmId, id, 'completed', 5_000);
    expect(removed.scripted.cancels.map((c) => c.task_id).sort()).toEqual([...ids].sort());
    const { rows } = await stack.db.query(
      `SELECT task_id, count(*) FILTER (WHERE status = 'completed')::int AS done FROM task_attempts WHERE task_id = ANY($1::uuid[]) GROUP BY task_id`,
      [ids],
    );
    expect(rows.map((r) => r.done)).toEqual([1, 1, 1, 1]);
    expect(keeper.scripted.completedIds().sort()).toEqual([...ids].sort());
  });

  it('lists tasks with filters and cursor paging', async () => {
    const swarmId = await swarm();
    await submit(swarmId, { tasks: Array.from({ length: 5 }, (_, i) => ({ task_type: i % 2 ? 'odd' : 'even' })) });
    const odd = await stack.http.get(`/swarms/${swarmId}/tasks?task_type=odd`, { key });
    expect(odd.body.items).toHaveLength(2);
    const first = await stack.http.get(`/swarms/${swarmId}/tasks?limit=3`, { key });
    expect(first.body.items).toHaveLength(3);
    const second = await stack.http.get(`/swarms/${swarmId}/tasks?limit=3&cursor=${first.body.next_cursor}`, { key });
    expect(second.body.items).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    const bad = await stack.http.get(`/swarms/${swarmId}/tasks?status=done`, { key });
    expect(bad.status).toBe(400);
  });
});

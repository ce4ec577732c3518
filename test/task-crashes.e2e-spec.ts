import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { HttpClient } from './support/http-client';
import { freePort } from './support/private-redis';
import { ROOT, RunningProcess, startProcess } from './support/processes';
import { createIsolatedEnvironment, eventually, IsolatedEnvironment } from './support/test-stack';

/**
 * The task engine's promise — every task completes exactly once — under real process crashes:
 * the compiled api and worker as separate OS processes, reference agents as their own
 * processes, real Postgres and Redis. Processes are SIGKILLed, SIGSTOPped and SIGTERMed in the
 * middle of the work; each test ends with a set check against Postgres: every submitted task is
 * completed with exactly one completed attempt, none is missing, none is extra.
 *
 * `npm run build` first: the api and worker run from dist/. CRASH_TEST_VERBOSE=1 prints phase timings.
 */

const API_ENTRY = 'dist/apps/api/src/main.js';
const WORKER_ENTRY = 'dist/apps/worker/src/main.js';
/** Fast failure detection: an agent that stops beating is failed after 2 s. */
const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 2_000, failover_grace_ms: 60_000 };
const SHUTDOWN_TIMEOUT_MS = 10_000;
const VERBOSE = /^(1|true|yes)$/i.test(process.env.CRASH_TEST_VERBOSE ?? '');

interface AgentProcess {
  id: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string | null>;
}

interface Registered {
  id: string;
  token: string;
}

interface SetRow {
  id: string;
  status: string;
  completed: number;
  attempts: number;
  consistent: boolean;
}

describe('task engine under process crashes (api, worker and agents as real processes)', () => {
  let environment: IsolatedEnvironment;
  let db: Client;
  let key: string;
  const services: RunningProcess[] = [];
  const agents: AgentProcess[] = [];
  let phaseStart = 0;

  function phase(label: string): void {
    if (VERBOSE) process.stdout.write(`[task-crashes] ${(expect.getState().currentTestName ?? '').split(': ')[0].slice(-60)}: ${label} (+${Date.now() - phaseStart} ms)\n`);
  }

  beforeAll(() => {
    if (!existsSync(join(ROOT, API_ENTRY)) || !existsSync(join(ROOT, WORKER_ENTRY))) {
      throw new Error('dist/ is missing: run npm run build first (npm test does it)');
    }
  });

  beforeEach(async () => {
    phaseStart = Date.now();
    // One database and Redis prefix per test: a crashed worker's leftovers cannot leak into the next test.
    environment = await createIsolatedEnvironment({
      TASK_ACK_TIMEOUT_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      BODY_LIMIT_BYTES: String(2 * 1024 * 1024),
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'warn',
    });
    key = environment.adminKey;
    db = new Client({ connectionString: environment.env.DATABASE_URL });
    await db.connect();
  });

  afterEach(async () => {
    // Everything this test started dies, whatever state it is in (a SIGSTOPped process too).
    const all = [...agents.splice(0).map((a) => ({ child: a.child, exited: a.exited })), ...services.splice(0).map((s) => ({ child: s.child, exited: s.stop('SIGKILL') }))];
    for (const { child } of all) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(all.map((p) => p.exited));
    await db?.end().catch(() => undefined);
    await environment?.dispose();
  });

  // ---- processes ------------------------------------------------------------------------------

  async function startApi(): Promise<{ http: HttpClient; baseUrl: string; process: RunningProcess }> {
    const port = await freePort();
    const api = startProcess(API_ENTRY, { ...environment.env, PORT: String(port) });
    services.push(api);
    const baseUrl = `http://127.0.0.1:${port}`;
    const http = new HttpClient(baseUrl);
    await eventually(async () => (await http.get('/ready')).status === 200, 30_000).catch((error: unknown) => {
      throw new Error(`api never became ready: ${String(error)}\n--- api output ---\n${api.output().slice(-4_000)}`);
    });
    return { http, baseUrl, process: api };
  }

  async function startWorker(): Promise<RunningProcess> {
    const worker = startProcess(WORKER_ENTRY, { ...environment.env, PORT: String(await freePort()), WORKER_METRICS_PORT: '0' });
    services.push(worker);
    await eventually(async () => worker.output().includes('running roles'), 30_000).catch((error: unknown) => {
      throw new Error(`worker never started: ${String(error)}\n--- worker output ---\n${worker.output().slice(-4_000)}`);
    });
    return worker;
  }

  /** The reference agent as its own OS process, exactly as a user runs it. */
  function launchAgent(baseUrl: string, agent: Registered): AgentProcess {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/agent/src/main.ts', '--url', baseUrl, '--token', agent.token, '--executor', 'sleep'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    const running = { id: agent.id, child, output: () => output, exited };
    agents.push(running);
    return running;
  }

  /** Attempts the agent has logged as started and not yet as finished. */
  function tasksInProgress(agent: AgentProcess): number {
    const open = new Set<string>();
    // The last piece may be a line still being written.
    for (const line of agent.output().split('\n').slice(0, -1)) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { event?: string; fencing_token?: string };
      if (entry.event === 'task started') open.add(entry.fencing_token!);
      else if (entry.event === 'task finished') open.delete(entry.fencing_token!);
    }
    return open.size;
  }

  // ---- REST and Postgres --------------------------------------------------------------------

  async function createSwarm(http: HttpClient, configuration: object): Promise<string> {
    const res = await http.post('/swarms', { key, body: { name: `crash-${Math.random().toString(36).slice(2, 8)}`, topology: 'mesh', configuration } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function registerAgents(http: HttpClient, swarmId: string, count: number, maxConcurrency: number, prefix = 'agent'): Promise<Registered[]> {
    const registered: Registered[] = [];
    for (let i = 0; i < count; i++) {
      const res = await http.post(`/swarms/${swarmId}/agents`, {
        key,
        body: { name: `${prefix}-${i}`, agent_type: 'sleep', capabilities: ['sleep'], max_concurrency: maxConcurrency },
      });
      expect(res.status).toBe(201);
      registered.push({ id: res.body.id, token: res.body.token });
    }
    return registered;
  }

  /** Waits until the health monitor counts these agents as working (connected and activated). */
  async function waitUntilLive(agentIds: string[], timeoutMs = 60_000): Promise<void> {
    await eventually(async () => {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM agents WHERE id = ANY($1::uuid[]) AND status IN ('idle', 'busy')", [agentIds]);
      return rows[0].n === agentIds.length;
    }, timeoutMs).catch((error: unknown) => {
      throw new Error(`agents not live: ${String(error)}\n--- agent output ---\n${agents.map((a) => a.output().slice(-1_000)).join('\n')}`);
    });
  }

  /** Submits sleep tasks (payload.ms from `ms(i)`), 1,000 per request; returns their ids in order. */
  async function submit(http: HttpClient, swarmId: string, count: number, ms: (i: number) => number, extra: object = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < count; start += 1_000) {
      const tasks = Array.from({ length: Math.min(1_000, count - start) }, (_, j) => ({ task_type: 'sleep', payload: { ms: ms(start + j) }, ...extra }));
      const res = await http.post(`/swarms/${swarmId}/tasks`, { key, body: { tasks } });
      expect(res.status).toBe(201);
      ids.push(...res.body.tasks.map((t: { id: string }) => t.id));
    }
    return ids;
  }

  async function statusCounts(swarmId: string): Promise<Record<string, number>> {
    const { rows } = await db.query<{ status: string; n: number }>('SELECT status::text AS status, count(*)::int AS n FROM tasks WHERE swarm_id = $1 GROUP BY status', [swarmId]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async function inFlight(swarmId: string): Promise<number> {
    const counts = await statusCounts(swarmId);
    return (counts.assigned ?? 0) + (counts.running ?? 0);
  }

  async function waitForInFlight(swarmId: string, atLeast: number, timeoutMs = 30_000): Promise<number> {
    return eventually(async () => {
      const n = await inFlight(swarmId);
      return n >= atLeast ? n : false;
    }, timeoutMs);
  }

  async function waitAllCompleted(swarmId: string, expected: number, timeoutMs: number, worker?: () => RunningProcess | undefined): Promise<void> {
    await eventually(async () => (await statusCounts(swarmId)).completed === expected, timeoutMs).catch(async (error: unknown) => {
      throw new Error(
        `not every task completed: ${String(error)}; statuses now ${JSON.stringify(await statusCounts(swarmId))}` +
          (worker?.() ? `\n--- worker output (tail) ---\n${worker()!.output().slice(-4_000)}` : ''),
      );
    });
  }

  /**
   * The end of every test: the swarm holds exactly the submitted tasks, each completed, with
   * exactly one completed attempt — the task's current one (same token, same agent).
   */
  async function expectExactlyOnce(swarmId: string, submitted: string[]): Promise<SetRow[]> {
    const { rows } = await db.query<SetRow>(
      `SELECT t.id, t.status::text AS status,
              count(a.id) FILTER (WHERE a.status = 'completed')::int AS completed,
              count(a.id)::int AS attempts,
              coalesce(bool_and(a.fencing_token = t.fencing_token AND a.agent_id = t.assigned_agent_id) FILTER (WHERE a.status = 'completed'), false) AS consistent
       FROM tasks t LEFT JOIN task_attempts a ON a.task_id = t.id
       WHERE t.swarm_id = $1 GROUP BY t.id`,
      [swarmId],
    );
    const stored = new Set(rows.map((r) => r.id));
    const expected = new Set(submitted);
    expect(expected.size).toBe(submitted.length);
    expect({ missing: submitted.filter((id) => !stored.has(id)).length, extra: rows.filter((r) => !expected.has(r.id)).length }).toEqual({ missing: 0, extra: 0 });
    const wrong = rows.filter((r) => r.status !== 'completed' || r.completed !== 1 || !r.consistent);
    expect(wrong).toEqual([]);
    if (VERBOSE) {
      const byAttempts = rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.attempts]: (m[r.attempts] ?? 0) + 1 }), {});
      const { rows: endings } = await db.query<{ status: string; error: string | null; n: number }>(
        "SELECT a.status::text AS status, regexp_replace(a.error, '[0-9a-f-]{36}', '<id>', 'g') AS error, count(*)::int AS n FROM task_attempts a JOIN tasks t ON t.id = a.task_id WHERE t.swarm_id = $1 AND a.status <> 'completed' GROUP BY 1, 2",
        [swarmId],
      );
      phase(`exactly once: ${rows.length} tasks; tasks by number of attempts ${JSON.stringify(byAttempts)}; other attempt endings ${JSON.stringify(endings)}`);
    }
    return rows;
  }

  // ---- the scenarios ------------------------------------------------------------------------

  it('SIGKILL of the worker with 1,000 tasks in flight: a new worker finishes them, each exactly once', async () => {
    const { http, baseUrl } = await startApi();
    let worker = await startWorker();
    const swarmId = await createSwarm(http, FAST);
    const registered = await registerAgents(http, swarmId, 10, 20);
    for (const agent of registered) launchAgent(baseUrl, agent);
    await waitUntilLive(registered.map((a) => a.id));
    phase('10 agents live');

    const ids = await submit(http, swarmId, 1_000, (i) => 200 + ((i * 37) % 301));
    // Work really in flight: agents have acknowledged at least 100 attempts and are running them.
    const held = await eventually(async () => {
      const counts = await statusCounts(swarmId);
      return (counts.running ?? 0) >= 100 ? (counts.running ?? 0) + (counts.assigned ?? 0) : false;
    }, 30_000);
    expect(await worker.stop('SIGKILL')).toBe('SIGKILL');
    const atKill = await statusCounts(swarmId);
    phase(`worker killed with ${held} in flight: ${JSON.stringify(atKill)}`);
    expect(atKill.completed ?? 0).toBeLessThan(1_000);

    // Agents keep working without a worker: their results wait in the report stream.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    worker = await startWorker();
    phase('new worker started');
    await waitAllCompleted(swarmId, 1_000, 100_000, () => worker);
    phase('all completed');
    await expectExactlyOnce(swarmId, ids);

    // What the agents did while no worker ran counted: an attempt an agent started (its ack
    // reached the gateway long before the 2 s ack deadline) was not timed out and done again
    // because the new worker read the reports late. Only assignments that never reached an
    // agent (the worker died between commit and push) time out.
    const started = new Set(agents.flatMap((a) => a.output().split('\n').filter((l) => l.includes('"event":"task started"')).map((l) => JSON.parse(l).fencing_token as string)));
    const { rows: timedOut } = await db.query<{ token: string }>(
      "SELECT a.fencing_token::text AS token FROM task_attempts a JOIN tasks t ON t.id = a.task_id WHERE t.swarm_id = $1 AND a.status = 'timed_out'",
      [swarmId],
    );
    phase(`timed-out attempts: ${timedOut.length}, of which started by an agent: ${timedOut.filter((a) => started.has(a.token)).length}`);
    expect(timedOut.filter((a) => started.has(a.token))).toEqual([]);
  }, 180_000);

  it('SIGKILL of 5 of 20 agents mid-run: their attempts fail as "agent lost" and the tasks finish on the others, exactly once', async () => {
    const { http, baseUrl } = await startApi();
    const worker = await startWorker();
    const swarmId = await createSwarm(http, FAST);
    const registered = await registerAgents(http, swarmId, 20, 4);
    const launched = registered.map((agent) => launchAgent(baseUrl, agent));
    await waitUntilLive(registered.map((a) => a.id));
    phase('20 agents live');

    const ids = await submit(http, swarmId, 600, () => 300);
    // Mid-run: work done already, and the victims hold attempts.
    await eventually(async () => ((await statusCounts(swarmId)).completed ?? 0) >= 100, 60_000);
    // Victims are chosen by what the agents themselves say they are running, not by the tasks
    // table: on a busy machine the table can show an agent "running" work it has already
    // reported, and killing such an agent would leave nothing to be lost.
    const busiest = await eventually(async () => {
      const ranked = launched.map((agent) => ({ agent, running: tasksInProgress(agent) })).filter((a) => a.running > 0);
      ranked.sort((a, b) => b.running - a.running);
      return ranked.length >= 5 ? ranked.slice(0, 5) : false;
    }, 10_000);
    const victims = new Set(busiest.map((b) => b.agent.id));
    for (const { agent } of busiest) agent.child.kill('SIGKILL');
    const killedAt = Date.now();
    phase(`5 agents killed while running ${busiest.map((b) => b.running).join('+')} tasks, at ${JSON.stringify(await statusCounts(swarmId))}`);

    await waitAllCompleted(swarmId, 600, 90_000, () => worker);
    phase('all completed');
    await expectExactlyOnce(swarmId, ids);

    const { rows: attempts } = await db.query<{ task_id: string; agent_id: string; status: string; error: string | null; finished_at: Date | null }>(
      'SELECT a.task_id, a.agent_id, a.status::text AS status, a.error, a.finished_at FROM task_attempts a JOIN tasks t ON t.id = a.task_id WHERE t.swarm_id = $1',
      [swarmId],
    );
    const lost = attempts.filter((a) => a.status === 'failed');
    // The victims held attempts when they died: those ended as "agent lost", only theirs.
    expect(lost.length).toBeGreaterThan(0);
    for (const attempt of lost) {
      expect(victims.has(attempt.agent_id)).toBe(true);
      expect(attempt.error).toMatch(/agent lost/);
    }
    // Each re-queued task was finished by a survivor.
    const lostTasks = new Set(lost.map((a) => a.task_id));
    const finishers = attempts.filter((a) => a.status === 'completed' && lostTasks.has(a.task_id));
    expect(finishers).toHaveLength(lostTasks.size);
    for (const attempt of finishers) expect(victims.has(attempt.agent_id)).toBe(false);
    // Nothing was completed in a dead agent's name after it died (a report already on the wire may land a moment later).
    for (const attempt of attempts) {
      if (attempt.status === 'completed' && victims.has(attempt.agent_id)) expect(attempt.finished_at!.getTime()).toBeLessThan(killedAt + 1_000);
    }
  }, 150_000);

  it('SIGSTOP of an agent past its tasks\' timeout: the attempts time out and finish elsewhere; after SIGCONT its late results are refused', async () => {
    const { http, baseUrl } = await startApi();
    const worker = await startWorker();
    // The heartbeat timeout is longer than the task timeout (+ the 1 s expiry sweep): the frozen
    // agent still counts as alive when its attempts run out of time, so it is the attempt
    // timeout — not "agent lost" — that takes the work back. (With a heartbeat timeout shorter
    // than timeout_ms the health monitor would fail the agent first and the timeout path would
    // never run.) It is shorter than the freeze, so the frozen agent stops being offered the
    // retries after a few seconds instead of having them bounce off it until it wakes.
    const swarmId = await createSwarm(http, { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 5_000, failover_grace_ms: 60_000, distribution_algorithm: 'least_loaded' });
    const [frozenAgent] = await registerAgents(http, swarmId, 1, 10, 'frozen');
    const others = await registerAgents(http, swarmId, 4, 10, 'other');
    const frozen = launchAgent(baseUrl, frozenAgent);
    await waitUntilLive([frozenAgent.id]);
    phase('frozen-to-be agent live');

    // Only it is connected: it takes all ten. 600 ms of work against a 1,000 ms timeout.
    const held = await submit(http, swarmId, 10, () => 600, { timeout_ms: 1_000, max_attempts: 10 });
    await eventually(async () => {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'running' AND assigned_agent_id = $2", [held, frozenAgent.id]);
      return rows[0].n === held.length;
    }, 20_000);
    frozen.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    // Submitted a moment after the agent was activated, the tasks went to it at once — not
    // after the reconciler's 5 s safety net (a distributor's cached roster once hid the activation).
    const { rows: [latency] } = await db.query<{ ms: number }>('SELECT extract(epoch FROM max(assigned_at) - min(created_at)) * 1000 AS ms FROM tasks WHERE id = ANY($1::uuid[])', [held]);
    expect(Number(latency.ms)).toBeLessThan(2_500);
    phase('agent frozen holding 10 running attempts');
    // Were any results already on the wire? Then that task is not held past its timeout.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows: stillHeld } = await db.query<{ id: string; token: string }>(
      "SELECT id, fencing_token::text AS token FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'running' AND assigned_agent_id = $2",
      [held, frozenAgent.id],
    );
    expect(stillHeld.length).toBeGreaterThan(0);

    for (const agent of others) launchAgent(baseUrl, agent);
    await waitUntilLive(others.map((a) => a.id));
    const more = await submit(http, swarmId, 40, () => 100, { max_attempts: 10 });
    const ids = [...held, ...more];
    await waitAllCompleted(swarmId, ids.length, 60_000, () => worker);
    phase('all completed while the agent is frozen');
    expect(frozen.child.signalCode).toBeNull();

    const snapshot = async () =>
      (
        await db.query(
          `SELECT t.id, t.status::text, t.fencing_token::text, t.assigned_agent_id, t.result, t.completed_at,
                  json_agg(json_build_object('token', a.fencing_token::text, 'agent', a.agent_id, 'status', a.status, 'error', a.error) ORDER BY a.attempt_number) AS attempts
           FROM tasks t JOIN task_attempts a ON a.task_id = t.id WHERE t.swarm_id = $1 GROUP BY t.id ORDER BY t.id`,
          [swarmId],
        )
      ).rows;
    const before = await snapshot();
    const rejectedBefore = await supersededReports(http);

    frozen.child.kill('SIGCONT');
    const thawedAt = Date.now();
    phase(`agent thawed after ${thawedAt - frozenAt} ms`);
    // It wakes with its sleeps long over: each held attempt ends at once, and what it reports is refused.
    await eventually(async () => stillHeld.every((t) => refusedOrDropped(frozen.output(), t.id, t.token)), 20_000).catch((error: unknown) => {
      throw new Error(`the woken agent did not give its attempts up: ${String(error)}\n--- agent output ---\n${frozen.output().slice(-6_000)}`);
    });
    // ... and the agent is healthy again (it beats), without having changed any task.
    await eventually(async () => {
      const { rows } = await db.query("SELECT 1 FROM agents WHERE id = $1 AND status IN ('idle', 'busy')", [frozenAgent.id]);
      return rows.length === 1;
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await snapshot()).toEqual(before);
    const rejectedAfter = await supersededReports(http);
    phase(`late reports refused by the gateway: ${rejectedAfter - rejectedBefore}`);

    await expectExactlyOnce(swarmId, ids);
    if (VERBOSE) {
      const refusals = frozen.output().split('\n').filter((l) => l.includes('"event":"report rejected"')).map((l) => JSON.parse(l).report as string);
      const histories = before.map((r) => (r.attempts as Array<{ agent: string; status: string }>).map((a) => `${a.agent === frozenAgent.id ? 'F' : 'G'}:${a.status}`).join(','));
      phase(`refused reports by kind ${JSON.stringify(refusals.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {}))}; histories ${JSON.stringify(histories.reduce<Record<string, number>>((m, h) => ({ ...m, [h]: (m[h] ?? 0) + 1 }), {}))}`);
    }
    // Every task the frozen agent held past its timeout: its attempt timed out; another agent completed it.
    const attemptsOf = new Map(before.map((r) => [r.id as string, r.attempts as Array<{ token: string; agent: string; status: string; error: string | null }>]));
    for (const task of stillHeld) {
      const attempts = attemptsOf.get(task.id)!;
      expect(attempts[0]).toMatchObject({ token: task.token, agent: frozenAgent.id, status: 'timed_out', error: 'timed out after 1000 ms' });
      const completed = attempts.filter((a) => a.status === 'completed');
      expect(completed).toHaveLength(1);
      expect(completed[0].agent).not.toBe(frozenAgent.id);
    }
    // Nothing completed in the frozen agent's name.
    for (const attempts of attemptsOf.values()) for (const a of attempts) if (a.agent === frozenAgent.id) expect(a.status).not.toBe('completed');
  }, 150_000);

  it('Redis loses the fencing counter while no worker runs: the next tokens start far above every token Postgres holds', async () => {
    const { http, baseUrl } = await startApi();
    let worker = await startWorker();
    const swarmId = await createSwarm(http, FAST);
    const registered = await registerAgents(http, swarmId, 2, 4);
    for (const agent of registered) launchAgent(baseUrl, agent);
    await waitUntilLive(registered.map((a) => a.id));
    const first = await submit(http, swarmId, 20, () => 10);
    await waitAllCompleted(swarmId, 20, 30_000, () => worker);
    const before = BigInt((await db.query('SELECT max(a.fencing_token)::text AS max FROM task_attempts a JOIN tasks t ON t.id = a.task_id WHERE t.swarm_id = $1', [swarmId])).rows[0].max);

    expect(await worker.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000)).toBe(0);
    const redis = new Redis(environment.env.REDIS_URL);
    try {
      expect(await redis.del(`${environment.env.REDIS_KEY_PREFIX}:fence`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    worker = await startWorker();
    const second = await submit(http, swarmId, 20, () => 10);
    await waitAllCompleted(swarmId, 40, 30_000, () => worker);
    const after = BigInt((await db.query('SELECT min(a.fencing_token)::text AS min FROM task_attempts a WHERE a.task_id = ANY($1)', [second])).rows[0].min);
    // Assignments commit without waiting for the disk: tokens Postgres may have lost stay unused.
    expect(after).toBeGreaterThan(before + 1_000_000n - 1n);
    await expectExactlyOnce(swarmId, [...first, ...second]);
  });

  it('SIGTERM of the worker with ~200 tasks active: it exits 0 within SHUTDOWN_TIMEOUT_MS and a new worker finishes everything exactly once', async () => {
    const { http, baseUrl } = await startApi();
    const worker = await startWorker();
    const swarmId = await createSwarm(http, FAST);
    const registered = await registerAgents(http, swarmId, 10, 20);
    for (const agent of registered) launchAgent(baseUrl, agent);
    await waitUntilLive(registered.map((a) => a.id));
    phase('10 agents live');

    const ids = await submit(http, swarmId, 800, (i) => 500 + ((i * 53) % 501));
    const active = await waitForInFlight(swarmId, 180);
    const started = Date.now();
    const exit = await worker.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000);
    const tookMs = Date.now() - started;
    phase(`worker stopped (${exit}) in ${tookMs} ms with ${active} active`);
    expect({ exit, withinTimeout: tookMs < SHUTDOWN_TIMEOUT_MS }).toEqual({ exit: 0, withinTimeout: true });
    expect(worker.output()).not.toMatch(/shutdown took longer|error while shutting down/);
    expect((await statusCounts(swarmId)).completed ?? 0).toBeLessThan(800);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = await startWorker();
    await waitAllCompleted(swarmId, 800, 90_000, () => next);
    phase('all completed');
    await expectExactlyOnce(swarmId, ids);
  }, 150_000);

  it('the same idempotency key from 50 concurrent requests against two api processes gives one task, run once', async () => {
    const first = await startApi();
    const second = await startApi();
    const worker = await startWorker();
    const swarmId = await createSwarm(first.http, FAST);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? first.http : second.http).post(`/swarms/${swarmId}/tasks`, { key, body: { task_type: 'sleep', payload: { ms: 50 }, idempotency_key: 'crash-same-key' } }),
      ),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const ids = [...new Set(responses.map((r) => r.body.id as string))];
    expect(ids).toHaveLength(1);

    const [agent] = await registerAgents(second.http, swarmId, 1, 4);
    launchAgent(second.baseUrl, agent);
    await waitAllCompleted(swarmId, 1, 30_000, () => worker);
    await expectExactlyOnce(swarmId, ids);
  }, 90_000);

  // ---- helpers that read what the processes say --------------------------------------------------

  /** The gateway's count of reports refused because their attempt was no longer the agent's. */
  async function supersededReports(http: HttpClient): Promise<number> {
    const text = (await http.get('/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith('swarm_task_reports_rejected_total{') && l.includes('reason="superseded"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }
});

/**
 * Did the agent give up this attempt after waking? Either it reported and the coordinator
 * refused the report (superseded), or a cancel notice reached it first and it dropped the work.
 */
function refusedOrDropped(output: string, taskId: string, token: string): boolean {
  for (const line of output.split('\n')) {
    if (!line.includes(taskId) || !line.includes(`"${token}"`)) continue;
    if (line.includes('"event":"report rejected"') && line.includes('"code":"superseded"')) return true;
    if (line.includes('"event":"task finished"') && /"outcome":"(cancelled|superseded)"/.test(line)) return true;
  }
  return false;
}

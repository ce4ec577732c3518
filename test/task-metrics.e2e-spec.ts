import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { getQueueToken } from '@nestjs/bullmq';
import { metricsRollupDoneKey, Queues, MetricsRollupJobs, RedisService } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import type { Queue } from 'bullmq';
import { RollUpSwarmMetrics } from '../apps/worker/src/metrics/roll-up-swarm-metrics';
import { WorkerMetricsServer } from '../apps/worker/src/metrics/worker-metrics-server';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { eventually, startTestStack, TestStack } from './support/test-stack';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** A port nothing listens on right now (the OS picks it), for the worker's metrics endpoint. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** percentile_cont over ascending values, written out independently of the code under test. */
function percentileCont(sorted: number[], p: number): number {
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

type TaskStatus = 'pending' | 'queued' | 'assigned' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
type AttemptStatus = 'assigned' | 'running' | 'completed' | 'failed' | 'timed_out' | 'cancelled' | 'superseded';

interface TaskSeed {
  status: TaskStatus;
  created: number;
  queued?: number;
  assigned?: number;
  started?: number;
  completed?: number;
  agentId?: string;
  type?: string;
}

describe('task metrics: live figures, roll-ups, agent stats, worker /metrics', () => {
  let stack: TestStack;
  let key: string;
  let metricsPort: number;
  let fence = 0;

  beforeAll(async () => {
    metricsPort = await freePort();
    // Only the roll-up role: no health monitor changing memberships under the seeded data.
    stack = await startTestStack({ worker: true, env: { WORKER_ROLES: 'metrics-rollup', WORKER_METRICS_PORT: String(metricsPort) } });
    key = stack.adminKey;
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function createSwarm(name: string, apiKey = key): Promise<{ id: string; ownerId: string }> {
    const res = await stack.http.post('/swarms', { key: apiKey, body: { name, topology: 'mesh' } });
    expect(res.status).toBe(201);
    const row = await stack.db.query('SELECT owner_id FROM swarms WHERE id = $1', [res.body.id]);
    return { id: res.body.id, ownerId: row.rows[0].owner_id };
  }

  async function registerAgent(swarmId: string, name: string, maxConcurrency: number): Promise<string> {
    const res = await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { name, agent_type: 'echo', max_concurrency: maxConcurrency } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function addToSwarm(swarmId: string, agentId: string): Promise<void> {
    expect((await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { agent_id: agentId } })).status).toBe(201);
  }

  async function insertTask(swarm: { id: string; ownerId: string }, t: TaskSeed): Promise<string> {
    const id = randomUUID();
    const at = (ms?: number) => (ms === undefined ? null : new Date(ms));
    await stack.db.query(
      `INSERT INTO tasks (id, owner_id, swarm_id, task_type, payload, status, timeout_ms, created_at, queued_at, assigned_at,
         started_at, completed_at, assigned_agent_id, updated_at)
       VALUES ($1, $2, $3, $4, '{}', $5, 60000, $6, $7, $8, $9, $10, $11, now())`,
      [id, swarm.ownerId, swarm.id, t.type ?? 'echo', t.status, at(t.created), at(t.queued), at(t.assigned), at(t.started), at(t.completed), t.agentId ?? null],
    );
    return id;
  }

  async function insertAttempt(taskId: string, n: number, agentId: string, status: AttemptStatus, assigned: number, finished?: number): Promise<void> {
    await stack.db.query(
      `INSERT INTO task_attempts (id, task_id, attempt_number, agent_id, fencing_token, status, assigned_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), taskId, n, agentId, ++fence, status, new Date(assigned), finished === undefined ? null : new Date(finished)],
    );
  }

  describe('GET /swarms/:id/metrics', () => {
    let swarm: { id: string; ownerId: string };
    let a1: string;
    let a2: string;
    let T0: number;

    beforeAll(async () => {
      swarm = await createSwarm('metrics-live');
      a1 = await registerAgent(swarm.id, 'a1', 2);
      a2 = await registerAgent(swarm.id, 'a2', 1);
      T0 = Date.now();
      const B = T0 - 120 * SECOND;

      // Completed in the window: queue waits 100/300/500/700, executions 1-4 s, end-to-end 1.3/2.4/3.5/4.8 s.
      const t1 = await insertTask(swarm, { status: 'completed', created: B, queued: B + 100, assigned: B + 200, started: B + 300, completed: B + 1300, agentId: a1 });
      const t2 = await insertTask(swarm, { status: 'completed', created: B, queued: B, assigned: B + 300, started: B + 400, completed: B + 2400, agentId: a1 });
      const t3 = await insertTask(swarm, { status: 'completed', created: B, queued: B, assigned: B + 500, started: B + 500, completed: B + 3500, agentId: a1 });
      const t4 = await insertTask(swarm, { status: 'completed', created: B, queued: B, assigned: B + 700, started: B + 800, completed: B + 4800, agentId: a2 });
      const t5 = await insertTask(swarm, { status: 'failed', created: B, queued: B, completed: B + 5000 });
      const t6 = await insertTask(swarm, { status: 'timed_out', created: B, queued: B, completed: B + 6000 });
      const t7 = await insertTask(swarm, { status: 'cancelled', created: B, queued: B, completed: B + 7000 });
      // Not final: the queue depth now.
      await insertTask(swarm, { status: 'pending', created: B });
      await insertTask(swarm, { status: 'queued', created: B, queued: B });
      await insertTask(swarm, { status: 'queued', created: B, queued: B });
      const s1 = await insertTask(swarm, { status: 'assigned', created: B, queued: B, assigned: B + 8000, agentId: a1 });
      const r1 = await insertTask(swarm, { status: 'running', created: B, queued: B, assigned: B + 9000, started: B + 9100, agentId: a2 });
      const r2 = await insertTask(swarm, { status: 'running', created: B, queued: B, assigned: B + 10_000, started: B + 10_100, agentId: a1 });
      // Created 10-11 minutes ago: outside a 5m window, inside 15m.
      const t8 = await insertTask(swarm, { status: 'completed', created: T0 - 11 * MINUTE, queued: T0 - 11 * MINUTE, assigned: T0 - 11 * MINUTE, started: T0 - 11 * MINUTE, completed: T0 - 10 * MINUTE, agentId: a1 });
      // Waiting for a retry: its failed attempt started before the window and ended inside it.
      const t9 = await insertTask(swarm, { status: 'queued', created: T0 - 10 * MINUTE, queued: T0 - 270 * SECOND });

      await insertAttempt(t1, 1, a1, 'completed', B + 200, B + 1300);
      await insertAttempt(t2, 1, a2, 'failed', B + 100, B + 200);
      await insertAttempt(t2, 2, a1, 'completed', B + 300, B + 2400);
      await insertAttempt(t3, 1, a1, 'completed', B + 500, B + 3500);
      await insertAttempt(t4, 1, a2, 'completed', B + 700, B + 4800);
      await insertAttempt(t5, 1, a1, 'failed', B + 1000, B + 2000);
      await insertAttempt(t5, 2, a2, 'failed', B + 3000, B + 5000);
      await insertAttempt(t6, 1, a1, 'timed_out', B + 1000, B + 6000);
      await insertAttempt(t7, 1, a2, 'cancelled', B + 6000, B + 7000);
      await insertAttempt(s1, 1, a1, 'assigned', B + 8000);
      await insertAttempt(r1, 1, a2, 'running', B + 9000);
      await insertAttempt(r2, 1, a1, 'timed_out', B + 9500, B + 9900);
      await insertAttempt(r2, 2, a1, 'running', B + 10_000);
      await insertAttempt(t8, 1, a1, 'completed', T0 - 11 * MINUTE, T0 - 10 * MINUTE);
      await insertAttempt(t9, 1, a2, 'failed', T0 - 400 * SECOND, T0 - 270 * SECOND);

      // a1 also serves another swarm: its work there must not count here.
      const other = await createSwarm('metrics-live-other');
      await addToSwarm(other.id, a1);
      const elsewhere = await insertTask(other, { status: 'running', created: B, queued: B, assigned: B + 1000, started: B + 1000, agentId: a1 });
      await insertAttempt(elsewhere, 1, a1, 'running', B + 1000);
      const elsewhereDone = await insertTask(other, { status: 'completed', created: B, queued: B, assigned: B, started: B, completed: B + 500, agentId: a1 });
      await insertAttempt(elsewhereDone, 1, a1, 'failed', B, B + 500);
    });

    it('computes the figures of the window from the stored tasks and attempts', async () => {
      const res = await stack.http.get(`/swarms/${swarm.id}/metrics?window=5m`, { key });
      expect(res.status).toBe(200);
      const body = res.body;
      const to = Date.parse(body.to);
      const from = Date.parse(body.from);
      expect(to - from).toBe(5 * MINUTE);
      expect(to).toBeGreaterThanOrEqual(T0);
      expect(body).toMatchObject({
        swarm_id: swarm.id,
        window: '5m',
        tasks_submitted: 13,
        tasks_completed: 4,
        tasks_failed: 2,
        tasks_cancelled: 1,
        queue_depth: { pending: 1, queued: 3, assigned: 1, running: 2, total: 7 },
        in_flight_now: 3,
        capacity_now: 3,
        attempts: { assigned: 13, retried: 3, finished: 11, failed: 6 },
      });
      expect(body.throughput_per_sec).toBeCloseTo(4 / 300, 12);

      const queueWait = [100, 300, 500, 700];
      const execution = [1000, 2000, 3000, 4000];
      const endToEnd = [1300, 2400, 3500, 4800];
      for (const [name, values] of [['queue_wait', queueWait], ['execution', execution], ['end_to_end', endToEnd]] as const) {
        const stats = body.latency_ms[name];
        expect(stats.count).toBe(4);
        expect(stats.p50).toBeCloseTo(percentileCont(values, 0.5), 6);
        expect(stats.p95).toBeCloseTo(percentileCont(values, 0.95), 6);
        expect(stats.p99).toBeCloseTo(percentileCont(values, 0.99), 6);
        expect(stats.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
      }
      // Worked out by hand as well, so a shared mistake in percentileCont would not hide.
      expect(body.latency_ms.queue_wait).toMatchObject({ p50: 400, p95: 670, p99: 694, mean: 400 });
      expect(body.latency_ms.end_to_end).toMatchObject({ p50: 2950, p95: 4605, p99: 4761, mean: 3000 });

      const B = T0 - 120 * SECOND;
      const finishedBusy = 1100 + 100 + 2100 + 3000 + 4100 + 1000 + 2000 + 5000 + 1000 + 400;
      const inFlightBusy = (to - (B + 8000)) + (to - (B + 9000)) + (to - (B + 10_000));
      const clippedBusy = T0 - 270 * SECOND - from;
      const expectedUtilization = (finishedBusy + inFlightBusy + clippedBusy) / (5 * MINUTE * 3);
      expect(body.agent_utilization).toBeCloseTo(expectedUtilization, 9);
      expect(body.error_rate).toBeCloseTo(6 / 11, 12);
      expect(body.retry_rate).toBeCloseTo(3 / 13, 12);
    });

    it('defaults to 5m and honours the other windows', async () => {
      const byDefault = await stack.http.get(`/swarms/${swarm.id}/metrics`, { key });
      expect(byDefault.body).toMatchObject({ window: '5m', tasks_completed: 4 });

      const wide = await stack.http.get(`/swarms/${swarm.id}/metrics?window=15m`, { key });
      expect(wide.body).toMatchObject({ window: '15m', tasks_submitted: 15, tasks_completed: 5 });
      expect(wide.body.latency_ms.execution.count).toBe(5);

      // The last minute: nothing finished; the three attempts in flight were busy all along.
      const narrow = await stack.http.get(`/swarms/${swarm.id}/metrics?window=1m`, { key });
      expect(narrow.body).toMatchObject({
        window: '1m',
        tasks_submitted: 0,
        tasks_completed: 0,
        throughput_per_sec: 0,
        error_rate: 0,
        retry_rate: 0,
        agent_utilization: 1,
        latency_ms: { queue_wait: { count: 0, p50: null, p95: null, p99: null, mean: null } },
        queue_depth: { total: 7 },
      });
    });

    it('lets a viewer read, refuses a bad window and hides other owners’ swarms', async () => {
      const viewer = await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'metrics-viewer', role: 'viewer' } });
      expect((await stack.http.get(`/swarms/${swarm.id}/metrics?window=1h`, { key: viewer.body.key })).status).toBe(200);

      const bad = await stack.http.get(`/swarms/${swarm.id}/metrics?window=2m`, { key });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'validation_failed', message: 'window: window must be one of 1m, 5m, 15m, 1h, 24h' });
      expect((await stack.http.get(`/swarms/${swarm.id}/metrics?window=5m&colour=red`, { key })).body.message).toBe('property colour should not exist');
      expect((await stack.http.get('/swarms/not-a-uuid/metrics', { key })).body.message).toBe('swarmId must be a UUID');
      expect((await stack.http.get(`/swarms/${randomUUID()}/metrics`, { key })).status).toBe(404);

      const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'metrics-other-owner' } });
      const otherKey = (await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'o', role: 'admin', owner_id: owner.body.id } })).body.key;
      const theirs = await stack.http.get(`/swarms/${swarm.id}/metrics`, { key: otherKey });
      expect(theirs.status).toBe(404);
      expect(theirs.body.code).toBe('not_found');
      expect((await stack.http.get(`/swarms/${swarm.id}/metrics/history`, { key: otherKey })).status).toBe(404);
      expect((await stack.http.get(`/swarms/${swarm.id}/agents/${a1}/stats`, { key: otherKey })).status).toBe(404);
    });

    it('documents the endpoints in Swagger', async () => {
      const doc = await stack.http.get('/docs/json');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/swarms/{swarmId}/metrics', '/swarms/{swarmId}/metrics/history', '/swarms/{swarmId}/agents/{agentId}/stats']),
      );
      const live = doc.body.paths['/swarms/{swarmId}/metrics'].get;
      expect(live.parameters.find((p: { name: string }) => p.name === 'window').schema.enum).toEqual(['1m', '5m', '15m', '1h', '24h']);
      expect(doc.body.components.schemas.SwarmMetricsView.properties).toHaveProperty('agent_utilization');
      expect(doc.body.components.schemas.AgentStatsView.properties).toHaveProperty('task_types');
    });

    describe('GET /swarms/:id/agents/:agentId/stats', () => {
      it('returns per task-type stats and the tasks the agent holds in this swarm', async () => {
        const last = new Date(T0 - MINUTE);
        await stack.db.query(
          `INSERT INTO agent_task_stats (agent_id, task_type, completed, failed, timed_out, total_execution_ms, success_rate_ewma, latency_ms_ewma, last_finished_at)
           VALUES ($1, 'summarise', 4, 1, 1, 10000, 0.8, 2400.5, $2), ($1, 'translate', 0, 2, 0, 0, 0.2, NULL, $2)`,
          [a1, last],
        );
        const res = await stack.http.get(`/swarms/${swarm.id}/agents/${a1}/stats`, { key });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          swarm_id: swarm.id,
          agent_id: a1,
          name: 'a1',
          status: 'pending',
          max_concurrency: 2,
          membership_status: 'active',
          in_flight: 2,
          task_types: [
            { task_type: 'summarise', completed: 4, failed: 1, timed_out: 1, success_rate: 0.8, latency_ms: 2400.5, mean_execution_ms: 2500, last_finished_at: last.toISOString() },
            { task_type: 'translate', completed: 0, failed: 2, timed_out: 0, success_rate: 0.2, latency_ms: null, mean_execution_ms: null, last_finished_at: last.toISOString() },
          ],
        });
        const second = await stack.http.get(`/swarms/${swarm.id}/agents/${a2}/stats`, { key });
        expect(second.body).toMatchObject({ agent_id: a2, in_flight: 1, task_types: [] });
      });

      it('answers for an agent that left, and 404 for one that never was a member', async () => {
        const swarmC = await createSwarm('metrics-stats-left');
        const leaver = await registerAgent(swarmC.id, 'leaver', 1);
        expect((await stack.http.delete(`/swarms/${swarmC.id}/agents/${leaver}`, { key })).status).toBe(204);
        const left = await stack.http.get(`/swarms/${swarmC.id}/agents/${leaver}/stats`, { key });
        expect(left.status).toBe(200);
        expect(left.body).toMatchObject({ membership_status: 'left', in_flight: 0 });

        const stranger = await stack.http.get(`/swarms/${swarmC.id}/agents/${a2}/stats`, { key });
        expect(stranger.status).toBe(404);
        expect(stranger.body.message).toBe(`agent ${a2} in swarm ${swarmC.id} was not found`);
        expect((await stack.http.get(`/swarms/${swarmC.id}/agents/nope/stats`, { key })).body.message).toBe('agentId must be a UUID');
      });
    });
  });

  describe('roll-ups', () => {
    let swarm: { id: string; ownerId: string };
    let rollup: RollUpSwarmMetrics;
    let queue: Queue;
    /** A closed 1m bucket five minutes ago. */
    let Bk: number;

    const rowsOf = async (swarmId: string, window: string) =>
      (await stack.db.query(`SELECT * FROM swarm_metrics WHERE swarm_id = $1 AND "window" = $2 ORDER BY bucket_start`, [swarmId, window])).rows;

    beforeAll(async () => {
      rollup = stack.worker!.get(RollUpSwarmMetrics);
      queue = stack.worker!.get<Queue>(getQueueToken(Queues.MetricsRollup));
      swarm = await createSwarm('metrics-rollup');
      const agent = await registerAgent(swarm.id, 'ra', 2);
      // It was a member well before the bucket: the capacity of a bucket is that of the members at its end.
      await stack.db.query(`UPDATE swarm_memberships SET joined_at = now() - interval '1 hour' WHERE agent_id = $1`, [agent]);
      Bk = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE;

      const u1 = await insertTask(swarm, { status: 'completed', created: Bk + 1000, queued: Bk + 1000, assigned: Bk + 2000, started: Bk + 2500, completed: Bk + 12_500, agentId: agent });
      const u2 = await insertTask(swarm, { status: 'completed', created: Bk + 1000, queued: Bk + 1000, assigned: Bk + 4000, started: Bk + 4000, completed: Bk + 34_000, agentId: agent });
      const u3 = await insertTask(swarm, { status: 'failed', created: Bk + 2000, queued: Bk + 2000, completed: Bk + 40_000 });
      await insertTask(swarm, { status: 'queued', created: Bk + 5000, queued: Bk + 5000 });
      const u5 = await insertTask(swarm, { status: 'completed', created: Bk + 3000, queued: Bk + 3000, assigned: Bk + 50_000, started: Bk + 50_000, completed: Bk + 70_000, agentId: agent });
      await insertAttempt(u1, 1, agent, 'completed', Bk + 2000, Bk + 12_500);
      await insertAttempt(u2, 1, agent, 'completed', Bk + 4000, Bk + 34_000);
      await insertAttempt(u3, 1, agent, 'failed', Bk + 3000, Bk + 20_000);
      await insertAttempt(u3, 2, agent, 'failed', Bk + 25_000, Bk + 40_000);
      await insertAttempt(u5, 1, agent, 'completed', Bk + 50_000, Bk + 70_000);
    });

    const expectedBucket = () => ({
      tasks_submitted: 5,
      tasks_completed: 2,
      tasks_failed: 1,
      tasks_retried: 1,
      queue_depth: 2, // u4 still queued, u5 completed only after the bucket
    });

    it('schedules one job scheduler per window', async () => {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(['metrics-rollup-1h', 'metrics-rollup-1m', 'metrics-rollup-5m']);
      expect(schedulers.find((s) => s.key === 'metrics-rollup-1m')).toMatchObject({ pattern: '15 * * * * *', tz: 'UTC' });
      // The rest of these tests drive the roll-up themselves; scheduled runs would race them.
      for (const s of schedulers) await queue.removeJobScheduler(s.key);
    });

    it('writes the bucket’s figures into swarm_metrics, and recomputing it keeps one row', async () => {
      expect(await rollup.rollUpBucket('1m', Bk)).toBeGreaterThanOrEqual(1);
      const [row] = await rowsOf(swarm.id, '1m');
      expect(row.bucket_start.getTime()).toBe(Bk);
      expect(row).toMatchObject(expectedBucket());
      expect(row.throughput_per_sec).toBeCloseTo(2 / 60, 12);
      expect(row.queue_wait_p50_ms).toBeCloseTo(2000, 6);
      expect(row.queue_wait_p95_ms).toBeCloseTo(2900, 6);
      expect(row.queue_wait_p99_ms).toBeCloseTo(2980, 6);
      expect(row.execution_p50_ms).toBeCloseTo(20_000, 6);
      expect(row.execution_p95_ms).toBeCloseTo(29_000, 6);
      expect(row.end_to_end_p50_ms).toBeCloseTo(22_250, 6);
      expect(row.end_to_end_p95_ms).toBeCloseTo(31_925, 6);
      expect(row.end_to_end_p99_ms).toBeCloseTo(32_785, 6);
      // Busy: 10.5 + 30 + 17 + 15 s, and 10 s of u5's attempt clipped at the bucket end; 2 slots for 60 s.
      expect(row.agent_utilization).toBeCloseTo(82_500 / 120_000, 12);

      await rollup.rollUpBucket('1m', Bk);
      const again = await rowsOf(swarm.id, '1m');
      expect(again).toHaveLength(1);
      expect(again[0]).toMatchObject({ ...expectedBucket(), id: row.id, agent_utilization: row.agent_utilization });
      expect(again[0].computed_at.getTime()).toBeGreaterThanOrEqual(row.computed_at.getTime());
    });

    it('serves the stored buckets through the history endpoint with cursor paging', async () => {
      // Two more buckets, written directly, to page through.
      for (const offset of [-2, -1]) {
        await stack.db.query(
          `INSERT INTO swarm_metrics (swarm_id, "window", bucket_start, tasks_submitted, tasks_completed, throughput_per_sec, queue_depth, agent_utilization)
           VALUES ($1, '1m', $2, $3, 0, 0, 0, 0)`,
          [swarm.id, new Date(Bk + offset * MINUTE), 10 + offset],
        );
      }
      const from = new Date(Bk - 10 * MINUTE).toISOString();
      const first = await stack.http.get(`/swarms/${swarm.id}/metrics/history?window=1m&from=${from}&limit=2`, { key });
      expect(first.status).toBe(200);
      expect(first.body.items.map((i: { bucket_start: string }) => i.bucket_start)).toEqual([
        new Date(Bk - 2 * MINUTE).toISOString(),
        new Date(Bk - MINUTE).toISOString(),
      ]);
      expect(first.body.next_cursor).toBe(new Date(Bk - MINUTE).toISOString());
      const second = await stack.http.get(`/swarms/${swarm.id}/metrics/history?window=1m&from=${from}&limit=2&cursor=${first.body.next_cursor}`, { key });
      expect(second.body.next_cursor).toBeNull();
      expect(second.body.items).toHaveLength(1);
      const item = second.body.items[0];
      expect(item).toMatchObject({
        bucket_start: new Date(Bk).toISOString(),
        bucket_end: new Date(Bk + MINUTE).toISOString(),
        ...expectedBucket(),
        latency_ms: { queue_wait: { p50: 2000, p95: 2900, p99: 2980 }, execution: { p50: 20_000, p95: 29_000, p99: 29_800 } },
        agent_utilization: 0.6875,
      });

      // Defaults: window 5m, the last 60 buckets up to now (none written for 5m yet in this swarm).
      const byDefault = await stack.http.get(`/swarms/${swarm.id}/metrics/history`, { key });
      expect(byDefault.body).toMatchObject({ window: '5m', items: [], next_cursor: null });
      expect(Date.parse(byDefault.body.to) - Date.parse(byDefault.body.from)).toBe(60 * 5 * MINUTE);

      const bad = await stack.http.get(`/swarms/${swarm.id}/metrics/history?window=15m`, { key });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('window: window must be one of 1m, 5m, 1h');
      expect((await stack.http.get(`/swarms/${swarm.id}/metrics/history?limit=1001`, { key })).body.message).toBe('limit: limit must not be greater than 1000');
      expect((await stack.http.get(`/swarms/${swarm.id}/metrics/history?from=yesterday`, { key })).body.message).toBe('from: from must be an ISO 8601 date-time');
      const reversed = await stack.http.get(`/swarms/${swarm.id}/metrics/history?from=${new Date(Bk).toISOString()}&to=${new Date(Bk - MINUTE).toISOString()}`, { key });
      expect(reversed.status).toBe(400);
      expect(reversed.body.message).toBe('from must be before to');
    });

    it('rolls a bucket up when a job asks for it, through the worker’s queue', async () => {
      const bucket5m = Math.floor(Bk / (5 * MINUTE)) * 5 * MINUTE;
      await queue.add(MetricsRollupJobs.Rollup, { window: '5m', bucketStart: bucket5m });
      const row = await eventually(async () => (await rowsOf(swarm.id, '5m'))[0], 15_000);
      expect(row.bucket_start.getTime()).toBe(bucket5m);
      expect(row).toMatchObject({ tasks_submitted: 5, tasks_failed: 1 });
    });

    it('catches up missed buckets after downtime, boundedly, and then does nothing twice', async () => {
      const redis = stack.worker!.get(RedisService).client;
      await redis.zrem(metricsRollupDoneKey(stack.config.redis.keyPrefix), '1m');
      await stack.db.query(`DELETE FROM swarm_metrics WHERE swarm_id = $1 AND "window" = '1m'`, [swarm.id]);

      const now = Bk + 6 * MINUTE + 30 * SECOND; // the newest closed bucket starts at Bk + 5 min
      const first = await rollup.catchUp('1m', now);
      expect(first.buckets).toHaveLength(60);
      expect(first.buckets[first.buckets.length - 1]).toBe(Bk + 5 * MINUTE);
      expect(first.buckets).toContain(Bk);
      const rows = await rowsOf(swarm.id, '1m');
      // Active buckets of this swarm: Bk (everything), and the following ones while u4 stays queued.
      expect(rows[0]).toMatchObject({ ...expectedBucket() });
      expect(rows[0].bucket_start.getTime()).toBe(Bk);
      expect(rows.map((r) => r.bucket_start.getTime())).toEqual([0, 1, 2, 3, 4, 5].map((m) => Bk + m * MINUTE));
      expect(rows[1]).toMatchObject({ tasks_submitted: 0, tasks_completed: 1, queue_depth: 1 }); // u5 completed at Bk + 70 s
      expect(await rollup.lastDone('1m')).toBe(Bk + 5 * MINUTE);

      expect((await rollup.catchUp('1m', now)).buckets).toEqual([]);
      expect((await rollup.catchUp('1m', now + 2 * MINUTE)).buckets).toEqual([Bk + 6 * MINUTE, Bk + 7 * MINUTE]);
      // After a long outage only the most recent buckets are computed.
      const late = await rollup.catchUp('1m', now + 10 * 60 * MINUTE);
      expect(late.buckets).toHaveLength(60);
      expect(late.buckets[0]).toBe(Bk + (5 + 600 - 59) * MINUTE);
    });
  });

  describe('worker /metrics endpoint', () => {
    it('serves the worker’s Prometheus metrics, including the task histograms', async () => {
      expect(stack.worker!.get(WorkerMetricsServer).address()).toEqual({ host: '127.0.0.1', port: metricsPort });
      stack.worker!.get(Metrics).taskQueueWait.observe(0.002);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toContain('swarm_task_queue_wait_seconds_bucket{le="0.0025",service="swarm-worker"} 1');
      expect(text).toContain('swarm_task_queue_wait_seconds_count{service="swarm-worker"} 1');
      expect(text).toContain('swarm_tasks_finished_total{outcome="completed",service="swarm-worker"} 0');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
    });

    it('is off with WORKER_METRICS_PORT=0', async () => {
      const worker = await createWorkerApp({ ...stack.config, worker: { roles: ['swarm-lifecycle'], metricsPort: 0 } });
      try {
        expect(worker.get(WorkerMetricsServer).address()).toBeNull();
      } finally {
        await worker.close();
      }
    });
  });
});

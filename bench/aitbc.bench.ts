/**
 * The aitbc CLI's calls under load, against the budgets of its specification.
 *
 *   node --import tsx bench/aitbc.bench.ts [--members=120] [--concurrency=10] [--networks=20]
 *                                          [--network-size=5] [--status-requests=300] [--warmup=20]
 *                                          [--no-build]
 *
 * Runs the compiled api and worker on a throw-away database and Redis prefix. Then:
 *
 *   warm-up  --warmup joins in a region of their own, a network of some of them, a few status
 *            calls, and their swarm's leave: every call's path runs once before the figures
 *            (0 skips it; not reported, as in the other benchmarks).
 *   join     --members POST /swarm/join, --concurrency at a time; every member is then connected
 *            here as an SDK agent with the token the join returned.
 *   network  --networks POST /api/v1/agents/networks of --network-size connected members each,
 *            then one network of every member.
 *   status   --status-requests GET /swarm/status and GET /api/v1/agents/networks/:id/status,
 *            alternating, with every member connected.
 *   leave    the members outside the largest swarm leave one by one (POST /swarm/leave
 *            {swarm_id, member_id}), --concurrency at a time; then the largest swarm's members
 *            all at once, as `aitbc swarm leave SWARM_ID` does (POST /swarm/{swarm_id}/leave).
 *
 * Prints p50 / p99 / max per call against the budgets (network create 500 ms, join and leave
 * 200 ms, status 100 ms, each as p99; a whole swarm's leave is held to the leave budget). Exit code: 0 all met, 2 a budget missed, 1 error.
 */
import { Client } from 'pg';
import { AgentClient, ANY_TASK_TYPE } from '../libs/agent-sdk/src';
import { AdminClient } from './common/rest';
import { cleanupStep, newRunIdentity, type RunIdentity, runMain, serviceEnv } from './common/run';
import { deleteRedisKeys, dropDatabase, ensureFreshBuild, freePort, migrateDatabase, type ServiceProcess, startService, waitUntilReady } from './common/service';
import { flagValue, hasFlag, log, percentileOfSorted, positiveInt, runPool, throttled } from './common/util';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const ACTIVATION_TIMEOUT_MS = 60_000;

const BUDGETS_MS = { join: 200, 'network create': 500, status: 100, leave: 200, 'swarm leave': 200 } as const;
type Call = keyof typeof BUDGETS_MS;

interface Options {
  members: number;
  concurrency: number;
  networks: number;
  networkSize: number;
  statusRequests: number;
  warmup: number;
  build: boolean;
}

interface Run extends RunIdentity {
  baseUrl: string;
  services: ServiceProcess[];
  agents: AgentClient[];
  admin: AdminClient | null;
  pg: Client | null;
}

interface CallResult {
  call: Call;
  count: number;
  p50: number;
  p99: number;
  max: number;
  note?: string;
}

interface Member {
  swarm_id: string;
  member_id: string;
  agent_token: string;
}

function parseOptions(argv: readonly string[]): Options {
  return {
    members: positiveInt(flagValue(argv, 'members'), 120, 'members'),
    concurrency: positiveInt(flagValue(argv, 'concurrency'), 10, 'concurrency'),
    networks: positiveInt(flagValue(argv, 'networks'), 20, 'networks'),
    networkSize: positiveInt(flagValue(argv, 'network-size'), 5, 'network-size'),
    statusRequests: positiveInt(flagValue(argv, 'status-requests'), 300, 'status-requests'),
    warmup: flagValue(argv, 'warmup') === '0' ? 0 : positiveInt(flagValue(argv, 'warmup'), 20, 'warmup'),
    build: !hasFlag(argv, 'no-build'),
  };
}

function summarise(call: Call, samples: number[], note?: string): CallResult {
  const sorted = [...samples].sort((a, b) => a - b);
  return { call, count: sorted.length, p50: percentileOfSorted(sorted, 0.5), p99: percentileOfSorted(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN, note };
}

async function timed<T>(samples: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const value = await work();
  samples.push(performance.now() - started);
  return value;
}

async function runBenchmark(run: Run, options: Options): Promise<CallResult[]> {
  if (options.build) await ensureFreshBuild();
  log(`creating and migrating database ${run.database}`);
  await migrateDatabase(run.databaseUrl);
  run.pg = new Client({ connectionString: run.databaseUrl });
  await run.pg.connect();
  const port = await freePort();
  run.baseUrl = `http://127.0.0.1:${port}`;
  const env = serviceEnv(run, port, { WORKER_METRICS_PORT: '0' });
  log(`starting api on ${run.baseUrl} and worker`);
  run.services.push(startService('api', 'dist/apps/api/src/main.js', env));
  run.services.push(startService('worker', 'dist/apps/worker/src/main.js', env));
  await waitUntilReady(run.baseUrl, run.services, READY_TIMEOUT_MS);
  run.admin = new AdminClient(run.baseUrl, run.adminKey);
  const results: CallResult[] = [];
  if (options.warmup > 0) await warmUp(run, options);

  const joins: number[] = [];
  const members: Member[] = [];
  const joinProgress = throttled(2_000, (done, total) => log(`[join] ${done}/${total}`));
  await runPool(options.members, options.concurrency, async (index) => {
    const roles = ['load-balancer', 'resource-optimizer', 'task-coordinator', 'monitor'];
    members.push(await timed(joins, () => run.admin!.post<Member>('/swarm/join', { role: roles[index % roles.length], capability: 'analysis', priority: 'normal' })));
    joinProgress(members.length, options.members);
  });
  results.push(summarise('join', joins, `${new Set(members.map((m) => m.swarm_id)).size} swarm(s)`));

  for (const member of members) {
    const agent = new AgentClient({ url: run.baseUrl, token: member.agent_token });
    agent.onTask(ANY_TASK_TYPE, async (task) => task.payload);
    run.agents.push(agent);
  }
  await Promise.all(run.agents.map((agent) => agent.connect()));
  await waitForLive(run.pg, members.map((m) => m.member_id));
  log(`connected ${run.agents.length} SDK agents`);

  const creates: number[] = [];
  const networkIds: string[] = [];
  await runPool(options.networks, Math.min(options.concurrency, 5), async (index) => {
    const agents = Array.from({ length: options.networkSize }, (_, i) => members[(index * options.networkSize + i) % members.length].member_id);
    const created = await timed(creates, () => run.admin!.post<{ id: string }>('/api/v1/agents/networks', { name: `net-${index}`, description: 'benchmark', agents, coordination_strategy: 'decentralized' }));
    networkIds.push(created.id);
  });
  const whole: number[] = [];
  await timed(whole, () => run.admin!.post<{ id: string }>('/api/v1/agents/networks', { name: 'net-all', description: 'every member', agents: members.map((m) => m.member_id), coordination_strategy: 'hybrid' }));
  results.push(summarise('network create', creates, `${options.networkSize} agents each; one of all ${members.length}: ${whole[0].toFixed(0)} ms`));

  const statuses: number[] = [];
  await runPool(options.statusRequests, options.concurrency, async (index) => {
    const path = index % 2 === 0 ? '/swarm/status' : `/api/v1/agents/networks/${networkIds[index % networkIds.length]}/status`;
    await timed(statuses, () => run.admin!.get(path));
  });
  results.push(summarise('status', statuses, 'GET /swarm/status and network status, alternating'));

  // The largest swarm leaves as `aitbc swarm leave SWARM_ID` does (every member of the caller
  // in it, one call); the members of the other swarms one by one (the older form names them).
  const bySwarm = new Map<string, Member[]>();
  for (const member of members) bySwarm.set(member.swarm_id, [...(bySwarm.get(member.swarm_id) ?? []), member]);
  const [largest] = [...bySwarm.entries()].sort((a, b) => b[1].length - a[1].length);
  const oneByOne = members.filter((m) => m.swarm_id !== largest[0]);
  const leaves: number[] = [];
  const leaveProgress = throttled(2_000, (done, total) => log(`[leave] ${done}/${total}`));
  await runPool(oneByOne.length, options.concurrency, async (index) => {
    const member = oneByOne[index];
    await timed(leaves, () => run.admin!.post('/swarm/leave', { swarm_id: member.swarm_id, member_id: member.member_id }));
    leaveProgress(leaves.length, oneByOne.length);
  });
  const swarmLeave: number[] = [];
  const answer = await timed(swarmLeave, () => run.admin!.post<{ left: string[] }>(`/swarm/${largest[0]}/leave`, undefined));
  results.push(summarise('leave', leaves, `one by one, the members outside the largest swarm`));
  results.push(summarise('swarm leave', swarmLeave, `POST /swarm/{id}/leave of the largest swarm: ${answer.left.length} members in one call`));
  return results;
}

/** Each call once or a few times in a region of its own, then its members gone again. */
async function warmUp(run: Run, options: Options): Promise<void> {
  log(`[warm-up] ${options.warmup} joins, a network, status calls, a leave (not in the figures)`);
  const joined: Member[] = [];
  await runPool(options.warmup, options.concurrency, async () => {
    joined.push(await run.admin!.post<Member>('/swarm/join', { role: 'monitor', capability: 'warm-up', priority: 'low', region: 'bench-warm-up' }));
  });
  const network = await run.admin!.post<{ id: string }>('/api/v1/agents/networks', {
    name: 'warm-up',
    description: 'warm-up',
    agents: joined.slice(0, Math.min(joined.length, options.networkSize)).map((m) => m.member_id),
    coordination_strategy: 'decentralized',
  });
  await runPool(10, options.concurrency, async (index) => {
    await run.admin!.get(index % 2 === 0 ? '/swarm/status' : `/api/v1/agents/networks/${network.id}/status`);
  });
  for (const swarmId of new Set(joined.map((m) => m.swarm_id))) await run.admin!.post(`/swarm/${swarmId}/leave`, undefined);
}

async function waitForLive(pg: Client, agentIds: string[]): Promise<void> {
  const deadline = Date.now() + ACTIVATION_TIMEOUT_MS;
  for (;;) {
    const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM agents WHERE id = ANY($1::uuid[]) AND status IN ('idle', 'busy')`, [agentIds]);
    if (rows[0].n === agentIds.length) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${agentIds.length} agents live after ${ACTIVATION_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function format(results: CallResult[], options: Options): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const lines = [`aitbc calls — ${options.members} members joined and connected, ${options.concurrency} requests at a time, node ${process.version}`, ''];
  lines.push('call            count       p50        p99        max   budget (p99)  result  note');
  for (const r of results) {
    const budget = BUDGETS_MS[r.call];
    lines.push(
      [r.call.padEnd(15), String(r.count).padStart(5), ms(r.p50).padStart(10), ms(r.p99).padStart(10), ms(r.max).padStart(10), `${budget} ms`.padStart(13), (r.p99 < budget ? 'PASS' : 'FAIL').padStart(7), ` ${r.note ?? ''}`].join(' '),
    );
  }
  return lines.join('\n');
}

async function cleanUp(run: Run): Promise<void> {
  log('cleaning up');
  for (const service of run.services) service.mute();
  await cleanupStep('stop agents', () => Promise.all(run.agents.map((agent) => agent.stop('benchmark finished'))));
  run.admin?.close();
  await cleanupStep('close Postgres client', async () => run.pg?.end());
  for (const service of run.services) await cleanupStep(`stop ${service.name}`, async () => void (await service.stop(STOP_TIMEOUT_MS)));
  await cleanupStep(`drop database ${run.database}`, () => dropDatabase(run.serverUrl, run.database));
  await cleanupStep(`delete Redis keys ${run.prefix}:*`, async () => void (await deleteRedisKeys(run.redisUrl, run.prefix)));
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const run: Run = { ...newRunIdentity(), baseUrl: '', services: [], agents: [], admin: null, pg: null };
  log(`${options.members} members, ${options.networks} networks of ${options.networkSize}, ${options.statusRequests} status requests, run ${run.id}`);
  runMain(
    {
      deadlineMs: 600_000,
      cleanUp: () => cleanUp(run),
      onFailure: () => {
        for (const service of run.services) if (service.hasExited()) log(`${service.name} output:\n${service.tail()}`);
      },
    },
    () => runBenchmark(run, options),
    (results) => {
      console.log(`\n${format(results, options)}\n`);
      return results.every((r) => r.p99 < BUDGETS_MS[r.call]) ? 0 : 2;
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

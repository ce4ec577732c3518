/**
 * Consensus decision time: how long from asking a swarm to vote until the outcome is known.
 *
 *   node --import tsx bench/consensus.bench.ts [--agents=10] [--proposals=300] [--concurrent=100]
 *                                              [--in-flight=10] [--warmup=300] [--no-build] [--json] [--cpu-prof]
 *
 * Runs the compiled api and worker as child processes on a throw-away database and Redis key
 * prefix, registers --agents agents over REST and connects them here with the agent SDK, each
 * answering every consensus.request at once with the same value. An operator socket subscribes
 * to the swarm's /events. Then majority proposals (every agent a participant, options yes/no):
 *
 *   warm-up     --warmup proposals, one at a time; reported, not judged. Until a few hundred
 *               proposals have run, the api's CPU per proposal keeps falling (V8 optimises the
 *               hot paths late): the judged phases measure a warm service, as the other benches do.
 *   sequential  --proposals proposals, one at a time.
 *   concurrent  --concurrent proposals, --in-flight of them open at once.
 *
 * Decision time (client) = POST /api/v1/consensus/proposals sent → the `consensus.decided`
 * swarm event received on /events: the whole path (REST, the request to every agent, their
 * votes, the tally after each, the close, the event through Redis). Decision time (server) =
 * decided_at - created_at of the same proposals in Postgres. Target: client p99 < 20 ms in the
 * sequential phase. Every proposal must end decided for "yes".
 *
 * Also reported: the CPU each process used per proposal in each phase (from /proc on Linux), the
 * figure that varies least between runs on a shared host.
 *
 * --cpu-prof writes a V8 CPU profile of the api to a temporary directory (named in the output).
 *
 * Exit code: 0 target met, 2 missed or a proposal not decided, 1 error.
 * BENCH_POSTGRES_URL / BENCH_REDIS_URL point it at other servers; BENCH_SERVICE_ENV="KEY=value ..."
 * passes settings to the services under test (A/B runs of one build).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import type { OperatorClientToServerEvents, OperatorServerToClientEvents, SwarmEventMessage } from '../libs/contracts/src/agent-socket';
import { AgentClient } from '../libs/agent-sdk/src';
import { waitForActivation } from './common/activation';
import { cpuShares, cpuSnapshot, type CpuShares } from './common/cpu';
import { AdminClient, createSwarm, registerAgents } from './common/rest';
import { cleanupStep, newRunIdentity, type RunIdentity, runMain, serviceEnv } from './common/run';
import { deleteRedisKeys, dropDatabase, ensureFreshBuild, freePort, migrateDatabase, type ServiceProcess, startService, waitUntilReady } from './common/service';
import { flagValue, hasFlag, log, percentileOfSorted, positiveInt, runPool, throttled } from './common/util';

const TARGET_P99_MS = 20;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const ACTIVATION_TIMEOUT_MS = 60_000;
const DECISION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 5_000;
/** Long enough that no proposal of the run closes at its deadline rather than on its votes. */
const PROPOSAL_DEADLINE_MS = 60_000;

interface Options {
  agents: number;
  proposals: number;
  concurrent: number;
  inFlight: number;
  warmup: number;
  build: boolean;
  json: boolean;
  cpuProfile: boolean;
}

interface Run extends RunIdentity {
  baseUrl: string;
  services: ServiceProcess[];
  agents: AgentClient[];
  operator: Socket<OperatorServerToClientEvents, OperatorClientToServerEvents> | null;
  admin: AdminClient | null;
  pg: Client | null;
  /** Where the api's CPU profile goes (--cpu-prof). */
  profileDir: string | null;
}

interface Stats {
  count: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

interface PhaseResult {
  name: string;
  proposals: number;
  wallMs: number;
  client: Stats;
  server: Stats;
  /** Where the server's time goes: created → first vote cast, first → last vote counted, last counted → decided_at. */
  firstVote: Stats;
  voting: Stats;
  closing: Stats;
  notDecided: number;
  /** CPU each process used per proposal over the phase, ms (null off Linux). */
  cpuMsPerProposal: CpuShares<ConsensusCpuGroup> | null;
}

type ConsensusCpuGroup = 'api' | 'worker' | 'benchmark';

function parseOptions(argv: readonly string[]): Options {
  return {
    agents: positiveInt(flagValue(argv, 'agents'), 10, 'agents'),
    proposals: positiveInt(flagValue(argv, 'proposals'), 300, 'proposals'),
    concurrent: positiveInt(flagValue(argv, 'concurrent'), 100, 'concurrent'),
    inFlight: positiveInt(flagValue(argv, 'in-flight'), 10, 'in-flight'),
    warmup: flagValue(argv, 'warmup') === '0' ? 0 : positiveInt(flagValue(argv, 'warmup'), 300, 'warmup'),
    build: !hasFlag(argv, 'no-build'),
    json: hasFlag(argv, 'json'),
    cpuProfile: hasFlag(argv, 'cpu-prof'),
  };
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 0.5),
    p99: percentileOfSorted(sorted, 0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** `consensus.decided` arrivals by proposal id; the event can beat the POST's own answer. */
class DecisionWatch {
  private readonly arrivals = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();

  observe(event: SwarmEventMessage): void {
    if (event.type !== 'consensus.decided' && event.type !== 'consensus.not_reached') return;
    const id = String(event.data.proposal_id);
    const at = performance.now();
    this.arrivals.set(id, at);
    this.waiters.get(id)?.(at);
    this.waiters.delete(id);
  }

  arrival(proposalId: string): Promise<number> {
    const seen = this.arrivals.get(proposalId);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no consensus.decided for ${proposalId} within ${DECISION_TIMEOUT_MS} ms`)), DECISION_TIMEOUT_MS);
      this.waiters.set(proposalId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

async function startStack(run: Run): Promise<void> {
  if (run.profileDir) log(`the api writes a CPU profile to ${run.profileDir} (summarise it with bench/heartbeats/profile-summary.ts)`);
  const port = await freePort();
  run.baseUrl = `http://127.0.0.1:${port}`;
  const env = serviceEnv(run, port, { WORKER_METRICS_PORT: '0' });
  log(`starting api on ${run.baseUrl} and worker (Redis prefix ${run.prefix})`);
  run.services.push(startService('api', 'dist/apps/api/src/main.js', env, run.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${run.profileDir}`] : []));
  run.services.push(startService('worker', 'dist/apps/worker/src/main.js', env));
  await waitUntilReady(run.baseUrl, run.services, READY_TIMEOUT_MS);
  log('api ready');
}

async function connectAgents(run: Run, swarmId: string, options: Options): Promise<void> {
  const tokens = await registerAgents(run.admin!, swarmId, options.agents, 4, (done, total) => log(`registering agents: ${done}/${total}`));
  for (const token of tokens) {
    const agent = new AgentClient({ url: run.baseUrl, token, capabilities: ['vote'] });
    // Votes at once: the benchmark measures the coordinator, not a model deciding.
    agent.onConsensus(() => 'yes');
    run.agents.push(agent);
  }
  await Promise.all(run.agents.map((agent) => agent.connect()));
  log(`connected ${run.agents.length} SDK agents`);
  const activationMs = await waitForActivation(run.pg!, swarmId, 0, ACTIVATION_TIMEOUT_MS, (pending) => log(`waiting for the health monitor: ${pending} agents pending`));
  if (activationMs === null) throw new Error('agents still pending after connecting');
}

async function connectOperator(run: Run, swarmId: string, watch: DecisionWatch): Promise<void> {
  const socket: Socket<OperatorServerToClientEvents, OperatorClientToServerEvents> = io(`${run.baseUrl}/events`, {
    auth: { key: run.adminKey },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  run.operator = socket;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('swarm.event', (event) => watch.observe(event));
  const answer = await socket.timeout(5_000).emitWithAck('subscribe', { swarm_id: swarmId });
  if (!answer.ok) throw new Error(`subscribe failed: ${answer.error.message}`);
}

async function runPhase(run: Run, swarmId: string, watch: DecisionWatch, name: string, count: number, inFlight: number): Promise<PhaseResult> {
  log(`[${name}] ${count} proposals, ${inFlight} at a time`);
  const clientMs: number[] = [];
  const ids: string[] = [];
  const progress = throttled(2_000, (done, total) => log(`[${name}] ${done}/${total} decided`));
  const cpuStart = cpuSnapshot();
  const started = performance.now();
  await runPool(count, inFlight, async (index) => {
    const sentAt = performance.now();
    const proposal = await run.admin!.post<{ id: string }>('/api/v1/consensus/proposals', {
      swarm_id: swarmId,
      question: `${name} ${index}: ship it?`,
      options: ['yes', 'no'],
      algorithm: 'majority',
      deadline_ms: PROPOSAL_DEADLINE_MS,
    });
    ids.push(proposal.id);
    clientMs.push((await watch.arrival(proposal.id)) - sentAt);
    progress(ids.length, count);
  });
  const wallMs = performance.now() - started;
  const cpuEnd = cpuSnapshot();
  const { rows } = await run.pg!.query<{ status: string; decided_value: unknown; decision_ms: number | null }>(
    `SELECT status::text, decided_value, extract(epoch FROM decided_at - created_at) * 1000 AS decision_ms FROM consensus_proposals WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const decided = rows.filter((r) => r.status === 'decided' && r.decided_value === 'yes');
  // The votes the decision counted are the earliest cast before decided_at (a majority of the agents).
  const phases = await run.pg!.query<{ first_ms: number; voting_ms: number; closing_ms: number }>(
    `SELECT extract(epoch FROM min(v.cast_at) - p.created_at) * 1000 AS first_ms,
            extract(epoch FROM max(v.cast_at) - min(v.cast_at)) * 1000 AS voting_ms,
            extract(epoch FROM p.decided_at - max(v.cast_at)) * 1000 AS closing_ms
     FROM consensus_proposals p JOIN consensus_votes v ON v.proposal_id = p.id AND v.cast_at <= p.decided_at
     WHERE p.id = ANY($1::uuid[]) AND p.status = 'decided' GROUP BY p.id`,
    [ids],
  );
  return {
    name,
    proposals: count,
    wallMs,
    client: stats(clientMs),
    server: stats(decided.map((r) => Number(r.decision_ms))),
    firstVote: stats(phases.rows.map((r) => Number(r.first_ms))),
    voting: stats(phases.rows.map((r) => Number(r.voting_ms))),
    closing: stats(phases.rows.map((r) => Number(r.closing_ms))),
    notDecided: count - decided.length,
    cpuMsPerProposal: perProposal(
      cpuShares<ConsensusCpuGroup>(cpuStart, cpuEnd, {
        api: run.services.find((s) => s.name === 'api')?.child.pid,
        worker: run.services.find((s) => s.name === 'worker')?.child.pid,
        benchmark: process.pid,
      }, wallMs, run.database),
      wallMs,
      count,
    ),
  };
}

/** Core-% over the phase → CPU ms per proposal. */
function perProposal<G extends string>(shares: CpuShares<G> | null, wallMs: number, proposals: number): CpuShares<G> | null {
  if (!shares) return null;
  const converted: Record<string, number> = {};
  for (const [group, percent] of Object.entries(shares)) converted[group] = ((percent as number) / 100) * wallMs / proposals;
  return converted as CpuShares<G>;
}

async function runBenchmark(run: Run, options: Options): Promise<PhaseResult[]> {
  if (options.build) await ensureFreshBuild();
  log(`creating and migrating database ${run.database}`);
  await migrateDatabase(run.databaseUrl);
  run.pg = new Client({ connectionString: run.databaseUrl });
  await run.pg.connect();
  await startStack(run);
  run.admin = new AdminClient(run.baseUrl, run.adminKey);
  const swarmId = await createSwarm(run.admin, `bench-${run.id}`, options.agents + 10, HEARTBEAT_INTERVAL_MS);
  await connectAgents(run, swarmId, options);
  const watch = new DecisionWatch();
  await connectOperator(run, swarmId, watch);

  const results: PhaseResult[] = [];
  if (options.warmup > 0) {
    const warm = await runPhase(run, swarmId, watch, 'warm-up', options.warmup, 1);
    if (warm.notDecided > 0) throw new Error(`${warm.notDecided} warm-up proposals were not decided`);
    results.push(warm);
  }
  results.push(await runPhase(run, swarmId, watch, 'sequential', options.proposals, 1));
  results.push(await runPhase(run, swarmId, watch, 'concurrent', options.concurrent, options.inFlight));
  return results;
}

function format(results: PhaseResult[], options: Options): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const lines = [`consensus decision time — ${options.agents} SDK agents voting at once, majority of yes/no, node ${process.version}`, ''];
  lines.push('phase        proposals  in flight  wall      client p50  client p99  client max  server p50  server p99  not decided');
  for (const r of results) {
    lines.push(
      [
        r.name.padEnd(12),
        String(r.proposals).padStart(9),
        String(r.name === 'concurrent' ? options.inFlight : 1).padStart(10),
        `${(r.wallMs / 1000).toFixed(2)} s`.padStart(8),
        ms(r.client.p50).padStart(11),
        ms(r.client.p99).padStart(11),
        ms(r.client.max).padStart(11),
        ms(r.server.p50).padStart(11),
        ms(r.server.p99).padStart(11),
        String(r.notDecided).padStart(12),
      ].join(' '),
    );
  }
  lines.push('', 'server time, p50 / p99:   created → first vote cast   first → last counted vote   last counted vote → decided_at');
  for (const r of results) {
    const pair = (s: Stats) => `${ms(s.p50)} / ${ms(s.p99)}`.padStart(26);
    lines.push(`${r.name.padEnd(12)}${' '.repeat(12)}${pair(r.firstVote)}  ${pair(r.voting)}  ${pair(r.closing)}`);
  }
  lines.push('', 'CPU per proposal, ms:  api  worker  benchmark (agents, operator, REST)  postgres  redis  | other  machine');
  for (const r of results) {
    const c = r.cpuMsPerProposal;
    if (!c) continue;
    const f = (v: number) => v.toFixed(2);
    lines.push(`${r.name.padEnd(12)}${' '.repeat(11)}${f(c.api)}  ${f(c.worker).padStart(6)}  ${f(c.benchmark).padStart(9)}${' '.repeat(30)}${f(c.postgres).padStart(8)}  ${f(c.redis).padStart(5)}  | ${f(c.other).padStart(5)}  ${f(c.machine).padStart(7)}`);
  }
  lines.push('', 'client: POST sent → consensus.decided received on /events; server: decided_at - created_at in Postgres.');
  const sequential = results.find((r) => r.name === 'sequential')!;
  lines.push(`target: sequential client p99 < ${TARGET_P99_MS} ms — ${sequential.client.p99 < TARGET_P99_MS ? 'met' : 'MISSED'} (${ms(sequential.client.p99)})`);
  return lines.join('\n');
}

async function cleanUp(run: Run): Promise<void> {
  log('cleaning up: stopping agents, api and worker');
  for (const service of run.services) service.mute();
  run.operator?.close();
  await cleanupStep('stop agents', () => Promise.all(run.agents.map((agent) => agent.stop('benchmark finished'))));
  run.admin?.close();
  await cleanupStep('close Postgres client', async () => run.pg?.end());
  for (const service of run.services) {
    await cleanupStep(`stop ${service.name}`, async () => {
      const code = await service.stop(STOP_TIMEOUT_MS);
      if (code !== 0) log(`${service.name} exited with ${String(code)}`);
    });
  }
  await cleanupStep(`drop database ${run.database}`, () => dropDatabase(run.serverUrl, run.database));
  await cleanupStep(`delete Redis keys ${run.prefix}:*`, async () => log(`deleted ${await deleteRedisKeys(run.redisUrl, run.prefix)} Redis keys under ${run.prefix}:`));
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const identity = newRunIdentity();
  const run: Run = { ...identity, baseUrl: '', services: [], agents: [], operator: null, admin: null, pg: null, profileDir: options.cpuProfile ? join(tmpdir(), `swarm-bench-${identity.id}`) : null };
  log(`${options.agents} agents, ${options.proposals} sequential + ${options.concurrent} concurrent proposals (${options.inFlight} in flight), warm-up ${options.warmup}, run ${run.id}`);
  runMain(
    {
      deadlineMs: 300_000 + (options.proposals + options.concurrent + options.warmup) * 200,
      cleanUp: () => cleanUp(run),
      onFailure: () => {
        for (const service of run.services) if (service.hasExited()) log(`${service.name} output:\n${service.tail()}`);
      },
    },
    () => runBenchmark(run, options),
    (results) => {
      console.log(`\n${format(results, options)}\n`);
      if (options.json) console.log(JSON.stringify({ agents: options.agents, inFlight: options.inFlight, phases: results }));
      const sequential = results.find((r) => r.name === 'sequential')!;
      return sequential.client.p99 < TARGET_P99_MS && results.every((r) => r.notDecided === 0) ? 0 : 2;
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

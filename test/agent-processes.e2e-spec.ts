import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectOperator, EventRecorder, request } from './support/sockets';
import { eventually, startTestStack, TestStack } from './support/test-stack';

const ROOT = join(__dirname, '..');
const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 2_000, failover_grace_ms: 60_000 };

interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string | null>;
}

/** The reference agent as its own OS process, exactly as a user runs it. */
function startAgent(url: string, token: string): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/agent/src/main.ts', '--url', url, '--token', token, '--executor', 'echo'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => output, exited };
}

describe('real agent processes', () => {
  let stack: TestStack;
  const running: AgentProcess[] = [];
  const closers: { close(): void }[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
  });
  afterEach(() => {
    for (const agent of running.splice(0)) if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    for (const c of closers.splice(0)) c.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function setUp(name: string) {
    const key = stack.adminKey;
    const swarm = await stack.http.post('/swarms', { key, body: { name, topology: 'star', configuration: FAST } });
    const agent = await stack.http.post(`/swarms/${swarm.body.id}/agents`, { key, body: { name: `${name}-agent`, agent_type: 'echo', capabilities: ['echo'] } });
    const operator = await connectOperator(stack.baseUrl, key);
    closers.push(operator);
    const events = new EventRecorder(operator);
    await request(operator, 'subscribe', { swarm_id: swarm.body.id });
    return { swarmId: swarm.body.id as string, agentId: agent.body.id as string, token: agent.body.token as string, events };
  }

  function launch(token: string): AgentProcess {
    const agent = startAgent(stack.baseUrl, token);
    running.push(agent);
    return agent;
  }

  it('refuses a bad token: the agent exits with the reason', async () => {
    const agent = launch(`sa_AAAAAAAA_${'B'.repeat(32)}`);
    expect(await agent.exited).toBe(3);
    expect(agent.output()).toContain('invalid agent token');
  });

  it('an agent killed with SIGKILL is unhealthy at once, and a restarted process recovers it', async () => {
    const { agentId, token, events } = await setUp('sigkill');
    const first = launch(token);
    await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agentId, 20_000);

    first.child.kill('SIGKILL');
    const failed = await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agentId, 10_000);
    expect(['disconnected', 'heartbeat_timeout']).toContain(failed.data.reason);

    launch(token);
    await events.waitFor((e) => e.type === 'agent_recovered' && e.agent_id === agentId, 20_000);
  });

  it('an agent paused with SIGSTOP past the timeout is unhealthy, and recovers after SIGCONT', async () => {
    const { agentId, token, events } = await setUp('sigstop');
    const agent = launch(token);
    await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agentId, 20_000);
    // Its heartbeats reach Postgres before we pause it.
    await eventually(async () => (await stack.db.query('SELECT 1 FROM agent_heartbeats WHERE agent_id = $1', [agentId])).rowCount! > 0);

    agent.child.kill('SIGSTOP');
    try {
      const failed = await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agentId, 10_000);
      expect(failed.data.reason).toBe('heartbeat_timeout');
    } finally {
      agent.child.kill('SIGCONT');
    }
    await events.waitFor((e) => e.type === 'agent_recovered' && e.agent_id === agentId, 15_000);
  });

  it('an agent removed from its last swarm is told to stop and exits cleanly', async () => {
    const { swarmId, agentId, token, events } = await setUp('removed');
    const agent = launch(token);
    await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agentId, 20_000);
    expect((await stack.http.delete(`/swarms/${swarmId}/agents/${agentId}`, { key: stack.adminKey })).status).toBe(204);
    expect(await agent.exited).toBe(0);
  });

  it('runs a leader-elected task: one agent process leads, the other checks by running it again', async () => {
    const key = stack.adminKey;
    const { swarmId, agentId, token } = await setUp('elected');
    const second = await stack.http.post(`/swarms/${swarmId}/agents`, { key, body: { name: 'elected-agent-2', agent_type: 'echo', capabilities: ['echo'] } });
    launch(token);
    launch(second.body.token);
    await eventually(async () => {
      const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM agents WHERE id = ANY($1) AND status IN ('idle', 'busy')`, [[agentId, second.body.id]]);
      return rows[0].n === 2;
    }, 30_000);
    const submitted = await stack.http.post(`/swarms/${swarmId}/tasks`, { key, body: { task_type: 'echo', payload: { text: 'hello' }, leader_election: 2 } });
    expect(submitted.status).toBe(201);
    let task: any;
    await eventually(async () => {
      task = (await stack.http.get(`/swarms/${swarmId}/tasks/${submitted.body.id}`, { key })).body;
      return task.status !== 'running';
    }, 30_000);
    expect(task).toMatchObject({ status: 'completed', result: { text: 'hello' } });
    expect(task.verification.verifiers).toEqual([expect.objectContaining({ status: 'completed', verdict: 'approved' })]);
  });

  it('stops cleanly on SIGTERM', async () => {
    const { agentId, token, events } = await setUp('sigterm');
    const agent = launch(token);
    await events.waitFor((e) => e.type === 'agent_connected' && e.agent_id === agentId, 20_000);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    await events.waitFor((e) => e.type === 'agent_failed' && e.agent_id === agentId, 10_000);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { TestCoordinator } from '../../../libs/agent-sdk/src/testing/test-coordinator';

/** Runs the real entry point as a separate process, exactly as the documented command does. */
const REPO_ROOT = resolve(__dirname, '../../..');
const TOKEN = 'sa_AbCd1234_0123456789abcdefghijklmnopqrstuv';

interface LogLine {
  event?: string;
  [field: string]: unknown;
}

class AgentProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  private readonly exited: Promise<number | null>;
  private pending = '';
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.pending += chunk;
      const complete = this.pending.split('\n');
      this.pending = complete.pop() ?? '';
      for (const line of complete.filter(Boolean)) this.lines.push(JSON.parse(line) as LogLine);
      for (const waiter of this.waiters) waiter();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  static start(args: string[], env: Record<string, string> = {}): AgentProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/agent/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AgentProcess(child);
  }

  /** Resolves with the first log line of that event; fails with the output so far instead of hanging. */
  waitForEvent(event: string, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolvePromise, reject) => {
      const check = (): boolean => {
        const line = this.lines.find((candidate) => candidate.event === event);
        if (!line) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== onData);
        resolvePromise(line);
        return true;
      };
      const onData = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== onData);
        reject(new Error(`no "${event}" line within ${timeoutMs} ms; stdout: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(onData);
    });
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }

  events(): Array<string | undefined> {
    return this.lines.map((line) => line.event).filter((event) => event !== undefined);
  }
}

/** Waits for a log line matching `accept`; fails with the output so far instead of hanging. */
async function waitForLine(agent: AgentProcess, accept: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const line = agent.lines.find(accept);
    if (line) return line;
    if (performance.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; stdout: ${JSON.stringify(agent.lines)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('reference agent process', () => {
  let coordinator: TestCoordinator;
  const processes: AgentProcess[] = [];

  const start = (args: string[], env?: Record<string, string>): AgentProcess => {
    const agent = AgentProcess.start(args, env);
    processes.push(agent);
    return agent;
  };

  beforeEach(async () => {
    coordinator = await TestCoordinator.start({ tokens: [TOKEN], heartbeatIntervalMs: 200 });
  });

  afterEach(async () => {
    for (const agent of processes.splice(0)) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await coordinator.close();
  });

  it('registers, heartbeats, and exits 0 after a graceful stop on SIGTERM', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'sleep', '--capabilities', 'sleep,test'], { SWARM_AGENT_TOKEN: TOKEN });

    const registered = await agent.waitForEvent('registered');
    expect(registered).toMatchObject({ agent_id: coordinator.agentId, heartbeat_interval_ms: 200, swarms: [{ swarm_id: 'swarm-a' }, { swarm_id: 'swarm-b' }] });
    expect(coordinator.registrations[0].payload).toMatchObject({
      capabilities: ['sleep', 'test'],
      metadata: { program: 'reference-agent', executor: 'sleep' },
    });
    const [heartbeat] = await coordinator.next('heartbeat');
    expect(heartbeat.payload).toMatchObject({ status: 'idle', queue_depth: 0 });
    expect(heartbeat.payload.memory_mb).toBeGreaterThan(10);

    agent.child.kill('SIGTERM');
    expect(await agent.exitCode()).toBe(0);
    expect(agent.events()).toEqual(['connecting', 'registered', 'stop requested', 'disconnected', 'stopped']);
    expect(agent.lines.at(-1)).toMatchObject({ event: 'stopped', initiator: 'agent', reason: 'received SIGTERM', exit_code: 0 });
    // The token never reaches the logs.
    expect(JSON.stringify(agent.lines)).not.toContain(TOKEN);
  });

  it('runs the tasks the coordinator assigns with its executor and reports each outcome', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'hash'], { SWARM_AGENT_TOKEN: TOKEN });
    await agent.waitForEvent('registered');
    const hashed = coordinator.next('report', (report) => report.event === 'task.result');
    const task = coordinator.assign({ task_type: 'checksum', payload: { data: 'swarm', iterations: 3 } });

    let expected = createHash('sha256').update('swarm').digest();
    for (let round = 1; round < 3; round++) expected = createHash('sha256').update(expected).digest();
    const [result] = await hashed;
    expect(result.payload).toEqual({
      task_id: task.task_id,
      fencing_token: task.fencing_token,
      result: { algorithm: 'sha256', iterations: 3, digest: expected.toString('hex') },
    });
    expect(coordinator.reportsOf('task.ack', task.task_id)).toHaveLength(1);

    // A payload the executor cannot use fails for good, and says why.
    const failed = coordinator.next('report', (report) => report.event === 'task.fail');
    const bad = coordinator.assign({ task_type: 'checksum', payload: { iterations: 3 } });
    expect((await failed)[0].payload).toMatchObject({ task_id: bad.task_id, retryable: false, error: expect.stringContaining('payload.data') });

    expect(await agent.waitForEvent('task finished')).toMatchObject({ task_id: task.task_id, task_type: 'checksum', outcome: 'completed' });
    await waitForLine(agent, (line) => line.event === 'task finished' && line.task_id === bad.task_id);
    expect(agent.lines.find((line) => line.event === 'task finished' && line.task_id === bad.task_id)).toMatchObject({ outcome: 'failed', retryable: false });
    agent.child.kill('SIGTERM');
    expect(await agent.exitCode()).toBe(0);
  });

  it('on SIGTERM, finishes the running task and delivers its result before exiting', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'sleep'], { SWARM_AGENT_TOKEN: TOKEN });
    await agent.waitForEvent('registered');
    const task = coordinator.assign({ task_type: 'nap', payload: { ms: 400 } });
    await coordinator.next('report', (report) => report.event === 'task.ack');
    const order: string[] = [];
    coordinator.on('report', (report) => order.push(report.event));
    coordinator.on('disconnect', () => order.push('disconnect'));

    agent.child.kill('SIGTERM');
    expect(await agent.exitCode()).toBe(0);
    await waitForLine(agent, (line) => line.event === 'stopped');
    expect(order.filter((event) => event !== 'task.progress')).toEqual(['task.result', 'disconnect']);
    expect(coordinator.reportsOf('task.result', task.task_id)[0].payload).toMatchObject({ result: { slept_ms: 400 } });
    expect(agent.events()).toEqual(['connecting', 'registered', 'task started', 'stop requested', 'task finished', 'disconnected', 'stopped']);
  });

  it('exits 3 with the server reason when the token is refused', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'echo', '--token', 'sa_Unknown1_0123456789abcdefghijklmnopqrstuv']);
    expect(await agent.exitCode()).toBe(3);
    expect(agent.lines.at(-1)).toMatchObject({ event: 'stopped', reason: 'invalid agent token', initiator: 'error', exit_code: 3 });
    expect(agent.stderr).toContain('invalid agent token');
  });

  it('stops gracefully and exits 0 when the coordinator sends agent.stop', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'echo'], { SWARM_AGENT_TOKEN: TOKEN });
    await agent.waitForEvent('registered');
    const [socket] = coordinator.connectedSockets();
    socket.emit('agent.stop', { reason: 'agent deleted' });

    expect(await agent.exitCode()).toBe(0);
    expect(agent.lines.find((line) => line.event === 'stop requested')).toMatchObject({ source: 'coordinator', reason: 'agent deleted' });
    expect(agent.lines.at(-1)).toMatchObject({ event: 'stopped', initiator: 'coordinator', exit_code: 0 });
  });

  it('logs the reconnect and registers again after the server drops it', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'echo'], { SWARM_AGENT_TOKEN: TOKEN });
    await agent.waitForEvent('registered');
    const [socket] = coordinator.connectedSockets();
    const secondRegistration = coordinator.next('register', (registration) => registration.socket.id !== socket.id);
    socket.disconnect(true);

    await secondRegistration;
    await agent.waitForEvent('reconnecting');
    expect(agent.lines.find((line) => line.event === 'disconnected')).toMatchObject({ reason: 'io server disconnect' });
    agent.child.kill('SIGINT');
    expect(await agent.exitCode()).toBe(0);
    expect(agent.events().filter((event) => event === 'registered')).toHaveLength(2);
  });

  it('exits 2 naming the problem when arguments are bad', async () => {
    const agent = start(['--url', coordinator.url, '--executor', 'juggle'], { SWARM_AGENT_TOKEN: 'not-a-token' });
    expect(await agent.exitCode()).toBe(2);
    expect(agent.stderr).toContain('--token (or SWARM_AGENT_TOKEN): must look like sa_');
    expect(agent.stderr).toContain('--executor: is required: one of echo, sleep, hash, http, llm');
    expect(agent.lines).toEqual([]);
  });
});

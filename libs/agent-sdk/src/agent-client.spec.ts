import { AgentClient, type AgentClientOptions } from './agent-client';
import { AgentStoppedError, ConnectionRefusedError, RegistrationError, ServerReportedError } from './errors';
import type { AgentLogger } from './logger';
import { gate, nextEvent } from './testing/client-events';
import { TestCoordinator } from './testing/test-coordinator';

const TOKEN = 'sa_AbCd1234_0123456789abcdefghijklmnopqrstuv';
const INTERVAL_MS = 150;

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
    };
  const logger: AgentLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('AgentClient against a socket.io server speaking the contract', () => {
  let coordinator: TestCoordinator;
  const clients: AgentClient[] = [];

  const newClient = (overrides: Partial<AgentClientOptions> = {}): AgentClient => {
    const client = new AgentClient({
      url: coordinator.url,
      token: TOKEN,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      ...overrides,
    });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    coordinator = await TestCoordinator.start({ tokens: [TOKEN], heartbeatIntervalMs: INTERVAL_MS });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop('test finished')));
    await coordinator.close();
  });

  it('connects, registers with its capabilities and metadata, then heartbeats real figures on the server interval', async () => {
    const client = newClient({ capabilities: ['summarise', 'translate'], metadata: { model: 'test-model' } });
    const firstHeartbeat = coordinator.next('heartbeat');
    const secondHeartbeat = coordinator.next('heartbeat', () => coordinator.heartbeats.length === 2);
    const ackedByServer = nextEvent(client, 'heartbeat');

    const info = await client.connect();

    expect(info.agent_id).toBe(coordinator.agentId);
    expect(info.heartbeat_interval_ms).toBe(INTERVAL_MS);
    expect(client.isRegistered).toBe(true);
    const [registration] = coordinator.registrations;
    expect(registration.socket.handshake.auth).toEqual({ token: TOKEN });
    expect(registration.payload.capabilities).toEqual(['summarise', 'translate']);
    expect(registration.payload.metadata).toMatchObject({ model: 'test-model', pid: process.pid, node_version: process.version });

    const [heartbeat] = await firstHeartbeat;
    expect(heartbeat.socket.id).toBe(registration.socket.id);
    expect(heartbeat.payload).toEqual({
      status: 'idle',
      cpu_percent: expect.any(Number),
      memory_mb: expect.any(Number),
      queue_depth: 0,
      current_task_id: null,
    });
    expect(heartbeat.payload.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(heartbeat.payload.cpu_percent)).toBe(true);
    // The RSS of this very jest worker, measured by the sampler.
    expect(heartbeat.payload.memory_mb).toBeGreaterThan(10);
    expect(heartbeat.payload.memory_mb).toBeLessThan(process.memoryUsage().rss / 1024 / 1024 + 100);

    const [, ack] = await ackedByServer;
    expect(ack.heartbeat_interval_ms).toBe(INTERVAL_MS);

    const [next] = await secondHeartbeat;
    expect(next.receivedAt - heartbeat.receivedAt).toBeGreaterThanOrEqual(INTERVAL_MS * 0.8);
  });

  it('reports busy with the running task while a task runs', async () => {
    const client = newClient();
    const release = gate();
    client.onTask('echo', async (task) => {
      await release.opened;
      return task.payload;
    });
    await client.connect();

    const result = client.runTask({ id: 'task-1', type: 'echo', payload: { hello: 'world' } });
    const [busy] = await coordinator.next('heartbeat', (beat) => beat.payload.status === 'busy');
    expect(busy.payload).toMatchObject({ status: 'busy', queue_depth: 1, current_task_id: 'task-1' });

    release.open();
    await expect(result).resolves.toEqual({ hello: 'world' });
    const [idle] = await coordinator.next('heartbeat');
    expect(idle.payload).toMatchObject({ status: 'idle', queue_depth: 0, current_task_id: null });
  });

  it('rejects connect() with the server reason when the handshake refuses the token, without retrying', async () => {
    const client = newClient({ token: 'sa_WrongOne_0123456789abcdefghijklmnopqrstuv' });
    const reconnecting = jest.fn();
    client.on('reconnecting', reconnecting);
    const stopped = nextEvent(client, 'stopped');

    const outcome = client.connect();
    await expect(outcome).rejects.toBeInstanceOf(ConnectionRefusedError);
    await expect(outcome).rejects.toMatchObject({ reason: 'invalid agent token' });
    const [info] = await stopped;
    expect(info).toMatchObject({ initiator: 'error', error: expect.any(ConnectionRefusedError) });
    expect(reconnecting).not.toHaveBeenCalled();
    expect(coordinator.registrations).toHaveLength(0);
  });

  it('rejects connect() when the server refuses agent.register', async () => {
    coordinator.registrationError = { code: 'forbidden', message: 'agent is stopped', details: ['status: stopped'] };
    const client = newClient();
    const outcome = client.connect();
    await expect(outcome).rejects.toBeInstanceOf(RegistrationError);
    await expect(outcome).rejects.toMatchObject({ code: 'forbidden', details: ['status: stopped'] });
    await expect(outcome).rejects.toThrow('agent is stopped');
  });

  it('re-registers and resumes heartbeats after the server closes the socket on purpose', async () => {
    const client = newClient();
    await client.connect();
    const [firstSocket] = coordinator.connectedSockets();

    const disconnected = nextEvent(client, 'disconnected');
    const reconnecting = nextEvent(client, 'reconnecting');
    const registeredAgain = nextEvent(client, 'registered');
    const newRegistration = coordinator.next('register', ({ socket }) => socket.id !== firstSocket.id);
    firstSocket.disconnect(true);

    expect((await disconnected)[0]).toBe('io server disconnect');
    expect((await reconnecting)[0]).toBe(1);
    const [{ socket: secondSocket }] = await newRegistration;
    await registeredAgain;
    const [beat] = await coordinator.next('heartbeat', ({ socket }) => socket.id === secondSocket.id);
    expect(beat.payload.status).toBe('idle');
    expect(coordinator.registrations).toHaveLength(2);
  });

  it('backs off further while the server keeps dropping it before the connection proves stable', async () => {
    // As when another process uses the same token: each connection is cut soon after it
    // registered and got its first heartbeat acknowledged.
    let dropAfterFirstAck = true;
    const attempts: number[] = [];
    const client = newClient({ reconnect: { initialDelayMs: 20, maxDelayMs: 1_000 } });
    client.on('reconnecting', (attempt) => attempts.push(attempt));
    client.on('heartbeat', () => {
      if (dropAfterFirstAck) coordinator.connectedSockets()[0]?.disconnect(true);
    });
    await client.connect();
    await coordinator.next('register', () => coordinator.registrations.length === 4);
    expect(attempts).toEqual([1, 2, 3]);

    // A connection whose second heartbeat is acknowledged (it lasted a whole interval) counts
    // as stable: the next drop starts the backoff over.
    dropAfterFirstAck = false;
    await nextEvent(client, 'heartbeat');
    await nextEvent(client, 'heartbeat');
    const restarted = nextEvent(client, 'reconnecting');
    coordinator.connectedSockets()[0].disconnect(true);
    expect((await restarted)[0]).toBe(1);
  });

  it('re-registers after the transport drops (socket.io reconnects by itself)', async () => {
    const client = newClient();
    await client.connect();
    const [firstSocket] = coordinator.connectedSockets();

    const disconnected = nextEvent(client, 'disconnected');
    const newRegistration = coordinator.next('register', ({ socket }) => socket.id !== firstSocket.id);
    firstSocket.conn.close();

    expect((await disconnected)[0]).toBe('transport close');
    const [{ socket: secondSocket }] = await newRegistration;
    await coordinator.next('heartbeat', ({ socket }) => socket.id === secondSocket.id);
  });

  it('stops for good when a reconnect is refused (token revoked while running)', async () => {
    const client = newClient();
    await client.connect();
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    const stopped = nextEvent(client, 'stopped');

    coordinator.tokens.delete(TOKEN);
    const [socket] = coordinator.connectedSockets();
    socket.emit('agent.error', { code: 'forbidden', message: 'agent token revoked' });
    socket.disconnect(true);

    const [info] = await stopped;
    expect(info.initiator).toBe('error');
    expect(info.error).toBeInstanceOf(ConnectionRefusedError);
    expect(info.error).toMatchObject({ reason: 'invalid agent token' });
    expect(errors).toEqual([expect.any(ServerReportedError)]);
    expect(errors[0].message).toContain('agent token revoked');
  });

  it('on agent.stop without a swarm: emits stop-requested, lets the running task finish, then disconnects', async () => {
    const client = newClient();
    const release = gate();
    const order: string[] = [];
    client.onTask('work', async () => {
      await release.opened;
      order.push('task finished');
      return 'done';
    });
    client.on('disconnected', () => order.push('disconnected'));
    await client.connect();
    const result = client.runTask({ id: 'task-1', type: 'work', payload: null });

    const stopRequested = nextEvent(client, 'stop-requested');
    const stopped = nextEvent(client, 'stopped');
    const serverSawDisconnect = coordinator.next('disconnect');
    const [socket] = coordinator.connectedSockets();
    socket.emit('agent.stop', { reason: 'swarm scaled down' });

    expect((await stopRequested)[0]).toEqual({ reason: 'swarm scaled down' });
    // While draining, new work is refused.
    await expect(client.runTask({ id: 'task-2', type: 'work', payload: null })).rejects.toBeInstanceOf(AgentStoppedError);
    // The connection stays up while the task drains, and heartbeats go on (busy), so the
    // coordinator does not take the agent for dead meanwhile.
    const beatsAtStop = coordinator.heartbeats.length;
    const [drainBeat] = await coordinator.next('heartbeat', (beat) => beat.payload.status === 'busy' && coordinator.heartbeats.length > beatsAtStop + 1);
    expect(drainBeat.payload).toMatchObject({ status: 'busy', current_task_id: 'task-1' });
    release.open();
    await expect(result).resolves.toBe('done');

    const [info] = await stopped;
    expect(order).toEqual(['task finished', 'disconnected']);
    expect(info).toEqual({ reason: 'swarm scaled down', initiator: 'coordinator' });
    const [, reason] = await serverSawDisconnect;
    expect(reason).toBe('client namespace disconnect');
    expect(client.isRegistered).toBe(false);
  });

  it('on agent.stop for one swarm: emits stop-requested and keeps running', async () => {
    const client = newClient();
    await client.connect();
    const stopRequested = nextEvent(client, 'stop-requested');
    const [socket] = coordinator.connectedSockets();
    socket.emit('agent.stop', { reason: 'removed by operator', swarm_id: 'swarm-a' });

    expect((await stopRequested)[0]).toEqual({ reason: 'removed by operator', swarm_id: 'swarm-a' });
    expect(client.registration?.swarms.map((swarm) => swarm.swarm_id)).toEqual(['swarm-b']);
    const countBefore = coordinator.heartbeats.length;
    await coordinator.next('heartbeat', () => coordinator.heartbeats.length > countBefore);
    expect(client.isRegistered).toBe(true);
  });

  it('stop() aborts tasks still running at the deadline and is idempotent', async () => {
    const client = newClient({ stopTimeoutMs: 50 });
    let taskSignal: AbortSignal | undefined;
    client.onTask('stubborn', (_task, context) => {
      taskSignal = context.signal;
      return new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
    });
    await client.connect();
    const result = client.runTask({ id: 'task-1', type: 'stubborn', payload: null });
    const stopped = nextEvent(client, 'stopped');

    const first = client.stop('operator shutdown');
    expect(client.stop('again')).toBe(first);
    await first;

    expect(taskSignal?.aborted).toBe(true);
    await expect(result).rejects.toBeInstanceOf(AgentStoppedError);
    expect((await stopped)[0]).toEqual({ reason: 'operator shutdown', initiator: 'agent' });
    await expect(client.connect()).rejects.toBeInstanceOf(AgentStoppedError);
  });

  it('rejects a pending connect() when stopped before registering', async () => {
    await coordinator.close();
    const client = newClient();
    const outcome = client.connect();
    await nextEvent(client, 'reconnecting');
    await client.stop('gave up');
    await expect(outcome).rejects.toBeInstanceOf(AgentStoppedError);
  });

  it('keeps one heartbeat in flight when acks do not come back, logging each miss', async () => {
    coordinator.answerHeartbeats = false;
    const { logger, lines } = recordingLogger();
    const client = newClient({ logger });
    await client.connect();
    await coordinator.next('heartbeat', () => coordinator.heartbeats.length === 3);

    const times = coordinator.heartbeats.map((beat) => beat.receivedAt);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(INTERVAL_MS * 0.8);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(INTERVAL_MS * 0.8);
    expect(lines.filter((line) => line.message.startsWith('heartbeat not acknowledged')).length).toBeGreaterThanOrEqual(2);
    expect(client.isRegistered).toBe(true);
  });

  it('registers again when a heartbeat is refused as not_registered', async () => {
    const client = newClient();
    await client.connect();
    const failed = nextEvent(client, 'heartbeat-failed');
    const registeredAgain = coordinator.next('register');
    const [socket] = coordinator.connectedSockets();
    coordinator.forgetRegistration(socket);

    expect((await failed)[0].code).toBe('not_registered');
    const [{ socket: sameSocket }] = await registeredAgain;
    expect(sameSocket.id).toBe(socket.id);
    await nextEvent(client, 'heartbeat');
  });

  it('passes progress reports of a task handler on as task-progress events', async () => {
    const client = newClient();
    client.onTask('*', async (_task, context) => {
      context.progress(40, 'reading');
      context.progress(140);
      return 'ok';
    });
    const progress: unknown[] = [];
    client.on('task-progress', (report) => progress.push(report));
    await expect(client.runTask({ id: 'task-9', type: 'anything', payload: null })).resolves.toBe('ok');
    expect(progress).toEqual([
      { taskId: 'task-9', percent: 40, message: 'reading' },
      { taskId: 'task-9', percent: 100 },
    ]);
    await expect(client.runTask({ id: 'task-10', type: 'anything', payload: null })).resolves.toBe('ok');
    expect(() => client.onTask('*', async () => null)).toThrow(/already registered/);
  });
});

import { REDIS_KEYS, type RedisKeys } from '@swarm/messaging';
import Redis from 'ioredis';
import { ApiCopyPresence } from '../apps/api/src/gateway/api-copy-presence';
import { PrivateRedis } from './support/private-redis';
import { connectOperator, EventRecorder, request } from './support/sockets';
import { eventually, startTestStack, TestStack } from './support/test-stack';

/** Every socket.io adapter message published on this stack's Redis, raw (msgpack keeps strings as their bytes). */
class AdapterTraffic {
  readonly messages: Buffer[] = [];
  private constructor(private readonly subscriber: Redis) {}

  static async watch(url: string, keys: RedisKeys): Promise<AdapterTraffic> {
    const subscriber = new Redis(url, { maxRetriesPerRequest: 1 });
    const traffic = new AdapterTraffic(subscriber);
    subscriber.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => traffic.messages.push(message));
    await subscriber.psubscribe(`${keys.socketIo}#*`);
    return traffic;
  }

  carrying(marker: string): number {
    return this.messages.filter((message) => message.includes(marker)).length;
  }

  close(): void {
    this.subscriber.disconnect();
  }
}

describe('api copies: broadcasts stay local while one copy runs, and span copies once several do', () => {
  let stack: TestStack;
  let key: string;
  let presence: ApiCopyPresence;
  let traffic: AdapterTraffic;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    key = stack.adminKey;
    presence = stack.api.get(ApiCopyPresence);
    traffic = await AdapterTraffic.watch(stack.config.redis.url, stack.api.get<RedisKeys>(REDIS_KEYS));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    traffic?.close();
    await stack?.close();
  });

  async function swarm(name: string): Promise<string> {
    const res = await stack.http.post('/swarms', { key, body: { name, topology: 'mesh' } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function operator(swarmId: string, baseUrl: string): Promise<EventRecorder> {
    const socket = await connectOperator(baseUrl, key);
    sockets.push(socket);
    const events = new EventRecorder(socket);
    expect(await request(socket, 'subscribe', { swarm_id: swarmId })).toEqual({ ok: true, data: { swarm_id: swarmId } });
    return events;
  }

  /** Changes the swarm's description through `http` and waits until `events` shows it; the marker is in the event. */
  async function describeSwarm(via: TestStack['http'], swarmId: string, marker: string, events: EventRecorder): Promise<void> {
    expect((await via.put(`/swarms/${swarmId}`, { key, body: { description: marker } })).status).toBe(200);
    await events.waitFor((e) => e.type === 'swarm_updated' && JSON.stringify(e.data).includes(marker));
    // A publish, had there been one, leaves before the local delivery: give it time to arrive anyway.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  it('a single copy delivers its events to its own operators without publishing them to Redis', async () => {
    expect(presence.isAlone).toBe(true);
    const swarmId = await swarm('alone');
    const events = await operator(swarmId, stack.baseUrl);
    await describeSwarm(stack.http, swarmId, 'marker-alone-1', events);
    expect(traffic.carrying('marker-alone-1')).toBe(0);
  });

  it('a second copy is announced before it takes sockets: from then on the first publishes, and an operator on the second sees its events', async () => {
    const copyB = await stack.startExtraApi();
    try {
      // Copy B's start waited for copy A's acknowledgement, so A knows by now.
      expect(presence.isAlone).toBe(false);
      const swarmId = await swarm('two-copies');
      const onB = await operator(swarmId, copyB.baseUrl);
      const onA = await operator(swarmId, stack.baseUrl);
      await describeSwarm(stack.http, swarmId, 'marker-shared-a', onB);
      await onA.waitFor((e) => e.type === 'swarm_updated' && JSON.stringify(e.data).includes('marker-shared-a'));
      expect(traffic.carrying('marker-shared-a')).toBeGreaterThan(0);
      // And the other way round: copy B, not alone either, reaches the operator on copy A.
      await describeSwarm(copyB.http, swarmId, 'marker-shared-b', onA);
      await presence.check();
      expect(presence.isAlone).toBe(false);
    } finally {
      await copyB.close();
    }
  });

  it('once the second copy has gone, the first keeps its broadcasts local again after its next check', async () => {
    // Redis drops the closed copy's subscription a moment after its socket closes.
    await eventually(async () => {
      await presence.check();
      return presence.isAlone;
    });
    const swarmId = await swarm('alone-again');
    const events = await operator(swarmId, stack.baseUrl);
    await describeSwarm(stack.http, swarmId, 'marker-alone-2', events);
    expect(traffic.carrying('marker-alone-2')).toBe(0);
  });

  it('a lost presence subscription means announcements may have been missed: publish until the next check', async () => {
    expect(presence.isAlone).toBe(true);
    // The connection drops and ioredis reconnects and resubscribes, as after a Redis restart.
    const subscriber = (presence as unknown as { subscriber: Redis }).subscriber;
    // Copies that counted this one gone may have gone alone: it announces itself again.
    const listener = new Redis(stack.config.redis.url, { maxRetriesPerRequest: 1 });
    const announced = new Promise<string>((resolve) => listener.on('message', (_channel: string, message: string) => resolve(message)));
    await listener.subscribe(stack.api.get<RedisKeys>(REDIS_KEYS).apiCopies);
    const restored = new Promise((resolve) => subscriber.once('ready', resolve));
    subscriber.disconnect(true);
    await restored;
    expect(presence.isAlone).toBe(false);
    expect(JSON.parse(await announced)).toMatchObject({ kind: 'hello' });
    listener.disconnect();
    const swarmId = await swarm('resubscribed');
    const events = await operator(swarmId, stack.baseUrl);
    await describeSwarm(stack.http, swarmId, 'marker-resubscribed', events);
    expect(traffic.carrying('marker-resubscribed')).toBeGreaterThan(0);
    // The check right after the reconnect may still count the old connection's subscription.
    await eventually(async () => {
      await presence.check();
      return presence.isAlone;
    });
  });
});

describe('an api copy that cannot reach Redis when it starts', () => {
  it('starts anyway, publishing its broadcasts, and announces itself once Redis answers', async () => {
    let redis = await PrivateRedis.start();
    const port = redis.port;
    await redis.stop();
    const stack = await startTestStack({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    try {
      const presence = stack.api.get(ApiCopyPresence);
      expect(presence.isAlone).toBe(false);
      expect((await stack.http.get('/health')).status).toBe(200);
      expect((await stack.http.get('/ready')).status).toBe(503);
      redis = await PrivateRedis.start([], port);
      // A check waits for Redis; once it answers, the late announcement found no other copy.
      await eventually(async () => {
        await presence.check();
        return presence.isAlone;
      }, 30_000);
      await eventually(async () => (await stack.http.get('/ready')).status === 200, 30_000);
    } finally {
      await stack.close();
      await redis.stop();
    }
  }, 60_000);
});

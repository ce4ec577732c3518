import { randomUUID } from 'node:crypto';
import { requirementClass } from '@swarm/domain';
import { redisKeys, RedisService, TaskDispatchStore } from '@swarm/messaging';
import Redis from 'ioredis';
import { testRedisUrl } from './support/environment';

/**
 * The distributor's wake-ups on a real Redis: capacity freed (attempts ended) wakes a cycle only
 * for a swarm that has tasks waiting, wherever they wait; other signals always wake one.
 */
describe('dispatch signals (Redis)', () => {
  const prefix = `test-signals-${randomUUID().slice(0, 8)}`;
  const keys = redisKeys(prefix);
  let client: Redis;
  let store: TaskDispatchStore;

  beforeAll(() => {
    client = new Redis(testRedisUrl(), { maxRetriesPerRequest: null, enableAutoPipelining: true });
    store = new TaskDispatchStore({ client } as unknown as RedisService, keys);
  });

  afterAll(async () => {
    const found = await client.keys(`${prefix}:*`);
    if (found.length > 0) await client.del(...found);
    client.disconnect();
  });

  const due = async () => (await client.zrange(keys.dispatchDue, 0, -1)).sort();
  const task = (taskId: string) => ({ taskId, taskType: 'echo', priority: 5, requiredCapabilities: [], requirementClass: requirementClass([]), queuedAt: Date.now() });

  beforeEach(async () => {
    await client.del(keys.dispatchDue);
  });

  it('wakes nobody for a swarm with nothing waiting, and only the swarms that have work', async () => {
    const idle = randomUUID();
    const busy = randomUUID();
    await store.enqueue(busy, [task(randomUUID())], Date.now());
    await client.del(keys.dispatchDue);

    await store.signalIfWaiting([idle, busy]);
    expect(await due()).toEqual([busy]);
  });

  it('counts a task planned into an agent backlog or waiting for its retry as waiting', async () => {
    const planned = randomUUID();
    const retrying = randomUUID();
    const plannedTask = randomUUID();
    await store.enqueue(planned, [task(plannedTask)], Date.now());
    await store.placeAndClaim(planned, 0, [{ taskId: plannedTask, agentId: randomUUID(), requirementClass: requirementClass([]), score: 1 }], []);
    expect(await client.zcard(keys.readyQueue(planned, requirementClass([])))).toBe(0);
    await store.delay(retrying, [{ ...task(randomUUID()), availableAt: Date.now() + 60_000 }]);
    await client.del(keys.dispatchDue);

    await store.signalIfWaiting([planned, retrying]);
    expect(await due()).toEqual([planned, retrying].sort());
  });

  it('stops waking a swarm once its last waiting task is claimed', async () => {
    const swarm = randomUUID();
    const agent = randomUUID();
    const id = randomUUID();
    await client.hset(keys.agentState(agent), 'connected', '1');
    await store.enqueue(swarm, [task(id)], Date.now());
    const claimed = await store.placeAndClaim(swarm, 0, [], [{ taskId: id, agentId: agent, source: { kind: 'ready', requirementClass: requirementClass([]) }, maxConcurrency: 1 }]);
    expect(claimed.map((c) => c.taskId)).toEqual([id]);
    await client.del(keys.dispatchDue);

    await store.signalIfWaiting([swarm]);
    expect(await due()).toEqual([]);
    // A plain signal (agent connected, reconciler) still wakes it.
    await store.signal([swarm]);
    expect(await due()).toEqual([swarm]);
  });
});

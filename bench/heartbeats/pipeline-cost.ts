/**
 * What one ioredis pipeline() costs on a connection BullMQ also uses, against a plain one.
 * BullMQ defines its Lua scripts as commands on the connection it is given, and ioredis
 * copies every defined command onto each new Pipeline; the heartbeat path builds one
 * pipeline per beat on the shared connection.
 *
 *   node --expose-gc --import tsx bench/heartbeats/pipeline-cost.ts
 *
 * Uses keys under a random prefix on REDIS_URL (default redis://127.0.0.1:6379) and deletes them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import Redis from 'ioredis';

const CONSTRUCT_COUNT = 20_000;
const RETAIN_COUNT = 1_000;
const ROUND_TRIPS = 3_000;

const gc = (globalThis as { gc?: () => void }).gc;

function constructMicros(client: Redis): number {
  for (let i = 0; i < CONSTRUCT_COUNT; i += 1) client.pipeline(); // warm-up, lets the JIT settle
  const started = performance.now();
  for (let i = 0; i < CONSTRUCT_COUNT; i += 1) client.pipeline();
  return ((performance.now() - started) * 1000) / CONSTRUCT_COUNT;
}

/** Heap bytes held by one Pipeline just after construction (needs --expose-gc). */
function retainedBytes(client: Redis): number | null {
  if (!gc) return null;
  gc();
  const kept: unknown[] = [];
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < RETAIN_COUNT; i += 1) kept.push(client.pipeline());
  const bytes = (process.memoryUsage().heapUsed - before) / RETAIN_COUNT;
  return kept.length > 0 ? bytes : null;
}

/** The three writes of one heartbeat (hash, sorted set, stream) as a pipeline, one after another. */
async function roundTripMicros(client: Redis, prefix: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i += 1) {
    await client
      .pipeline()
      .hset(`${prefix}:agent`, { last_seen: String(Date.now()), status: 'idle', cpu: '12.5', mem: '300', queue: '0', task: '' })
      .zadd(`${prefix}:last-seen`, Date.now(), 'agent')
      .xadd(`${prefix}:stream`, 'MAXLEN', '~', 1000, '*', 'agent', 'a', 'at', String(Date.now()))
      .exec();
  }
  return ((performance.now() - started) * 1000) / ROUND_TRIPS;
}

async function measure(label: string, client: Redis, prefix: string): Promise<void> {
  const micros = constructMicros(client);
  const bytes = retainedBytes(client);
  const trip = await roundTripMicros(client, prefix);
  const scripts = Object.keys((client as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet).length;
  console.log(
    `${label.padEnd(14)} scripts ${String(scripts).padStart(3)}   pipeline() ${micros.toFixed(1).padStart(6)} µs   ` +
      `${bytes === null ? 'n/a (run with --expose-gc)' : `${(bytes / 1024).toFixed(1)} KiB`} each   heartbeat round trip ${trip.toFixed(0)} µs`,
  );
}

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-pipeline-${randomUUID().slice(0, 8)}`;
  const plain = new Redis(url, { maxRetriesPerRequest: null });
  const shared = new Redis(url, { maxRetriesPerRequest: null });
  // The api hands its command connection to BullMQ the same way.
  const queue = new Queue('probe', { connection: shared, prefix: `${prefix}:bull` });
  try {
    await queue.waitUntilReady();
    await measure('plain', plain, prefix);
    await measure('BullMQ-shared', shared, prefix);
  } finally {
    await queue.close();
    await deleteKeys(plain, prefix);
    plain.disconnect();
    shared.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

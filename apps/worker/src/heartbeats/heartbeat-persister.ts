import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { PrismaService } from '@swarm/db';
import { HEARTBEAT_PERSISTER_GROUP, parseStreamedHeartbeat, REDIS_KEYS, RedisKeys, RedisService, StreamedHeartbeat } from '@swarm/messaging';
import type Redis from 'ioredis';

const BLOCK_MS = 1_000;
/** Entries another consumer read but never acknowledged for this long are taken over (it died). */
const CLAIM_IDLE_MS = 30_000;
const CLAIM_EVERY_MS = 10_000;

type StreamReply = [string, [string, string[]][]][] | null;

/**
 * Moves heartbeats from the Redis stream into Postgres in batches (one INSERT and one UPDATE
 * per batch, whatever its size) through a consumer group, so several workers share the load
 * and an entry is acknowledged only after it is stored.
 */
@Injectable()
export class HeartbeatPersister implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatPersister.name);
  private readonly consumer = `${hostname()}-${process.pid}`;
  private connection?: Redis;
  private running = false;
  private loop?: Promise<void>;
  private lastClaimAt = 0;
  persisted = 0;

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Blocking reads need their own connection: they would stall every other command.
    this.connection = this.redis.client.duplicate({ connectionName: 'swarm-heartbeat-persister', enableAutoPipelining: false });
    await this.ensureGroup();
    this.running = true;
    this.loop = this.run();
    this.logger.log({ consumer: this.consumer, batch: this.config.heartbeatBatchSize }, 'heartbeat persister started');
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
    this.connection?.disconnect();
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.connection!.xgroup('CREATE', this.keys.heartbeatStream, HEARTBEAT_PERSISTER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = [...(await this.claimAbandoned()), ...(await this.readNew())];
        if (batch.length > 0) await this.store(batch);
      } catch (error) {
        this.logger.error({ err: error }, 'heartbeat batch failed; retrying');
        if (String(error).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async readNew(): Promise<StreamedHeartbeat[]> {
    const reply = (await this.connection!.xreadgroup(
      'GROUP', HEARTBEAT_PERSISTER_GROUP, this.consumer,
      'COUNT', this.config.heartbeatBatchSize,
      'BLOCK', BLOCK_MS,
      'STREAMS', this.keys.heartbeatStream, '>',
    )) as StreamReply;
    return parseEntries(reply?.[0]?.[1] ?? []);
  }

  private async claimAbandoned(): Promise<StreamedHeartbeat[]> {
    if (Date.now() - this.lastClaimAt < CLAIM_EVERY_MS) return [];
    this.lastClaimAt = Date.now();
    const reply = (await this.connection!.xautoclaim(
      this.keys.heartbeatStream, HEARTBEAT_PERSISTER_GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', this.config.heartbeatBatchSize,
    )) as [string, [string, string[]][]];
    return parseEntries(reply?.[1] ?? []);
  }

  private async store(batch: StreamedHeartbeat[]): Promise<void> {
    const started = performance.now();
    // Rows for agents deleted meanwhile are skipped rather than failing the whole batch.
    await this.prisma.$executeRaw`
      INSERT INTO agent_heartbeats (agent_id, status, cpu_percent, memory_mb, queue_depth, current_task_id, recorded_at)
      SELECT x.agent_id, x.status::agent_status, x.cpu, x.mem, x.queue, x.task, x.at
      FROM unnest(
        ${batch.map((b) => b.agentId)}::uuid[], ${batch.map((b) => b.status)}::text[], ${batch.map((b) => b.cpuPercent)}::float8[],
        ${batch.map((b) => b.memoryMb)}::float8[], ${batch.map((b) => b.queueDepth)}::int[], ${batch.map((b) => b.currentTaskId)}::uuid[],
        ${batch.map((b) => new Date(b.at).toISOString())}::timestamptz[]
      ) AS x(agent_id, status, cpu, mem, queue, task, at)
      WHERE EXISTS (SELECT 1 FROM agents a WHERE a.id = x.agent_id)`;
    const latest = latestPerAgent(batch);
    // The reported idle/busy flips the stored status only for live agents: recovering an
    // unhealthy agent is the health monitor's decision, not the persister's.
    await this.prisma.$executeRaw`
      UPDATE agents a SET
        last_heartbeat_at = GREATEST(COALESCE(a.last_heartbeat_at, v.at), v.at),
        status = CASE WHEN a.status IN ('idle', 'busy', 'starting') THEN v.status::agent_status ELSE a.status END,
        updated_at = now()
      FROM unnest(${latest.map((b) => b.agentId)}::uuid[], ${latest.map((b) => new Date(b.at).toISOString())}::timestamptz[], ${latest.map((b) => b.status)}::text[])
        AS v(id, at, status)
      WHERE a.id = v.id`;
    await this.connection!.xack(this.keys.heartbeatStream, HEARTBEAT_PERSISTER_GROUP, ...batch.map((b) => b.entryId));
    this.persisted += batch.length;
    this.logger.debug({ heartbeats: batch.length, agents: latest.length, ms: Math.round(performance.now() - started) }, 'heartbeats persisted');
  }
}

function parseEntries(entries: [string, string[]][]): StreamedHeartbeat[] {
  return entries.map(([id, fields]) => parseStreamedHeartbeat(id, fields)).filter((h): h is StreamedHeartbeat => h !== null);
}

function latestPerAgent(batch: StreamedHeartbeat[]): StreamedHeartbeat[] {
  const latest = new Map<string, StreamedHeartbeat>();
  for (const beat of batch) {
    const seen = latest.get(beat.agentId);
    if (!seen || beat.at >= seen.at) latest.set(beat.agentId, beat);
  }
  return [...latest.values()];
}

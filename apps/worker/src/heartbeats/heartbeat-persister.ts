import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { PrismaService } from '@swarm/db';
import {
  HEARTBEAT_PERSISTER_GROUP,
  parseStreamedHeartbeat,
  REDIS_KEYS,
  RedisKeys,
  RedisService,
  StreamedHeartbeat,
  StreamEntry,
  StreamGroupConsumer,
} from '@swarm/messaging';
import type Redis from 'ioredis';

/**
 * Moves heartbeats from the Redis stream into Postgres in batches (one INSERT and one UPDATE
 * per batch, whatever its size) through a consumer group, so several workers share the load
 * and an entry is acknowledged only after it is stored.
 */
@Injectable()
export class HeartbeatPersister implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatPersister.name);
  private connection?: Redis;
  private consumer?: StreamGroupConsumer;
  persisted = 0;

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.connection = this.redis.client.duplicate({ connectionName: 'swarm-heartbeat-persister', enableAutoPipelining: false });
    this.consumer = new StreamGroupConsumer(
      this.connection,
      {
        stream: this.keys.heartbeatStream,
        group: HEARTBEAT_PERSISTER_GROUP,
        batchSize: this.config.heartbeatBatchSize,
        blockMs: 1_000,
        claimIdleMs: 30_000,
        claimEveryMs: 10_000,
        retryDelayMs: 500,
      },
      (entries) => this.storeEntries(entries),
      this.logger,
    );
    await this.consumer.start();
    this.logger.log({ consumer: this.consumer.consumer, batch: this.config.heartbeatBatchSize }, 'heartbeat persister started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    this.connection?.disconnect();
  }

  private async storeEntries(entries: StreamEntry[]): Promise<void> {
    const batch: StreamedHeartbeat[] = [];
    const malformed: string[] = [];
    for (const [id, fields] of entries) {
      const beat = parseStreamedHeartbeat(id, fields);
      if (beat) batch.push(beat);
      else malformed.push(id);
    }
    // Left pending, a malformed entry would be taken over and read again forever.
    await this.consumer!.ack(malformed);
    if (batch.length > 0) await this.store(batch);
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
    await this.consumer!.ack(batch.map((b) => b.entryId));
    this.persisted += batch.length;
    this.logger.debug({ heartbeats: batch.length, agents: latest.length, ms: Math.round(performance.now() - started) }, 'heartbeats persisted');
  }
}

function latestPerAgent(batch: StreamedHeartbeat[]): StreamedHeartbeat[] {
  const latest = new Map<string, StreamedHeartbeat>();
  for (const beat of batch) {
    const seen = latest.get(beat.agentId);
    if (!seen || beat.at >= seen.at) latest.set(beat.agentId, beat);
  }
  return [...latest.values()];
}

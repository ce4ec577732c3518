import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import {
  parseSwarmMessageEntry,
  REDIS_KEYS,
  RedisKeys,
  RedisService,
  StreamEntry,
  StreamGroupConsumer,
  SWARM_MESSAGES_GROUP,
  SwarmMessageRecord,
} from '@swarm/messaging';
import type Redis from 'ioredis';

const BATCH_SIZE = 500;

/**
 * Writes the agent-to-agent message log from its Redis stream into swarm_messages in batches
 * (one INSERT per batch). A replayed entry (a worker died before acknowledging) hits the unique
 * message id and is skipped, so the log holds each message once.
 */
@Injectable()
export class MessageLogPersister implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MessageLogPersister.name);
  private connection?: Redis;
  private consumer?: StreamGroupConsumer;

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.connection = this.redis.client.duplicate({ connectionName: 'swarm-message-log', enableAutoPipelining: false });
    this.consumer = new StreamGroupConsumer(
      this.connection,
      { stream: this.keys.swarmMessages, group: SWARM_MESSAGES_GROUP, batchSize: BATCH_SIZE, blockMs: 1_000, claimIdleMs: 30_000, claimEveryMs: 10_000, retryDelayMs: 500 },
      (entries) => this.storeEntries(entries),
      this.logger,
    );
    await this.consumer.start();
    this.logger.log({ consumer: this.consumer.consumer }, 'message log persister started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    this.connection?.disconnect();
  }

  private async storeEntries(entries: StreamEntry[]): Promise<void> {
    const records: SwarmMessageRecord[] = [];
    const malformed: string[] = [];
    for (const [id, fields] of entries) {
      const record = parseSwarmMessageEntry(fields);
      if (record) records.push(record);
      else malformed.push(id);
    }
    await this.consumer!.ack(malformed);
    if (records.length > 0) await this.store(records);
    await this.consumer!.ack(entries.map(([id]) => id).filter((id) => !malformed.includes(id)));
  }

  private async store(records: SwarmMessageRecord[]): Promise<void> {
    const started = performance.now();
    // Recipient lists travel as JSON text: unnest cannot take an array of arrays of uneven length.
    await this.prisma.$executeRaw`
      INSERT INTO swarm_messages (swarm_id, message_id, sender_agent_id, to_agent_id, broadcast, recipients, delivered, rule, reason, payload, sent_at)
      SELECT x.swarm_id, x.message_id, x.sender, x.to_agent, x.broadcast,
             ARRAY(SELECT jsonb_array_elements_text(x.recipients::jsonb))::uuid[],
             x.delivered, x.rule, x.reason, x.payload::jsonb, x.sent_at
      FROM unnest(
        ${records.map((r) => r.swarmId)}::uuid[], ${records.map((r) => r.messageId)}::uuid[], ${records.map((r) => r.senderAgentId)}::uuid[],
        ${records.map((r) => r.toAgentId)}::uuid[], ${records.map((r) => r.broadcast)}::boolean[], ${records.map((r) => JSON.stringify(r.recipients))}::text[],
        ${records.map((r) => r.delivered)}::boolean[], ${records.map((r) => r.rule)}::text[], ${records.map((r) => r.reason)}::text[],
        ${records.map((r) => (r.payload === null || r.payload === undefined ? null : JSON.stringify(r.payload)))}::text[],
        ${records.map((r) => new Date(r.sentAt).toISOString())}::timestamptz[]
      ) WITH ORDINALITY AS x(swarm_id, message_id, sender, to_agent, broadcast, recipients, delivered, rule, reason, payload, sent_at, position)
      WHERE EXISTS (SELECT 1 FROM swarms s WHERE s.id = x.swarm_id)
      -- The log's id is its order: a semi-join may reorder rows, the stream's order is the truth.
      ORDER BY x.position
      ON CONFLICT (message_id) DO NOTHING`;
    this.logger.debug({ messages: records.length, ms: Math.round(performance.now() - started) }, 'messages logged');
  }
}

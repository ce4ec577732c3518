import { Inject, Injectable } from '@nestjs/common';
import { REDIS_KEYS, RedisService } from './redis.module';
import { RedisKeys, SWARM_MESSAGES_STREAM_MAX_LENGTH } from './redis-keys';

/** One agent-to-agent message as the log keeps it. */
export interface SwarmMessageRecord {
  messageId: string;
  swarmId: string;
  senderAgentId: string;
  toAgentId: string | null;
  broadcast: boolean;
  recipients: string[];
  delivered: boolean;
  rule: string;
  reason: string | null;
  /** Kept for delivered messages only. */
  payload: unknown;
  sentAt: number;
}

/**
 * Messages go to Redis first (one stream append on the sender's path) and reach Postgres in
 * batches through the worker, like heartbeats: the log must not slow the conversation down.
 */
@Injectable()
export class SwarmMessageLog {
  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  async append(record: SwarmMessageRecord): Promise<void> {
    await this.redis.client.xadd(this.keys.swarmMessages, 'MAXLEN', '~', SWARM_MESSAGES_STREAM_MAX_LENGTH, '*', 'm', JSON.stringify(record));
  }
}

export function parseSwarmMessageEntry(fields: string[]): SwarmMessageRecord | null {
  const at = fields.indexOf('m');
  if (at < 0 || at + 1 >= fields.length) return null;
  try {
    const record = JSON.parse(fields[at + 1]) as SwarmMessageRecord;
    const valid = typeof record.messageId === 'string' && typeof record.swarmId === 'string' && typeof record.senderAgentId === 'string' && Array.isArray(record.recipients) && typeof record.sentAt === 'number';
    return valid ? record : null;
  } catch {
    return null;
  }
}

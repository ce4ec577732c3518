import { Inject, Injectable, Logger } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import {
  EVENTS_NAMESPACE,
  OperatorServerToClientEvents,
  socketRooms,
  SwarmEventMessage,
} from '../../contracts/src/agent-socket';
import { REDIS_KEYS } from './redis.module';
import { RedisKeys } from './redis-keys';
import { RedisService } from './redis.module';

/** The columns of a swarm_events row that operators see. */
export interface SwarmEventRow {
  id: bigint;
  swarmId: string;
  type: string;
  agentId: string | null;
  taskId: string | null;
  data: unknown;
  createdAt: Date;
}

export function toSwarmEventMessage(row: SwarmEventRow): SwarmEventMessage {
  return {
    id: row.id.toString(),
    swarm_id: row.swarmId,
    type: row.type,
    agent_id: row.agentId,
    task_id: row.taskId,
    data: (row.data ?? {}) as Record<string, unknown>,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * Pushes stored swarm events to the operators subscribed to the swarm, from any process:
 * it publishes through Redis (socket.io emitter), and every api copy's adapter delivers to its
 * own sockets. Called after the transaction that stored the events has committed, so an
 * operator never sees an event that was rolled back. Best effort: the row is the record.
 */
@Injectable()
export class SwarmEventBroadcaster {
  private readonly logger = new Logger(SwarmEventBroadcaster.name);
  private readonly emitter: Emitter<OperatorServerToClientEvents>;

  constructor(redis: RedisService, @Inject(REDIS_KEYS) keys: RedisKeys) {
    this.emitter = new Emitter<OperatorServerToClientEvents>(redis.client, { key: keys.socketIo }).of(EVENTS_NAMESPACE);
  }

  broadcast(rows: SwarmEventRow[]): void {
    for (const row of rows) {
      try {
        this.emitter.to(socketRooms.swarmOperators(row.swarmId)).emit('swarm.event', toSwarmEventMessage(row));
      } catch (error) {
        this.logger.warn({ err: error, eventId: row.id.toString() }, 'could not broadcast swarm event');
      }
    }
  }
}

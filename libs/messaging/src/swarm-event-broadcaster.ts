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
import { LocalSocketNamespaces, SocketBroadcaster } from './local-socket-namespaces';

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
 * the api delivers to its own sockets and its Redis adapter to the other copies; the worker
 * publishes through Redis (socket.io emitter), and every api copy's adapter delivers. Called after the transaction that stored the events has committed, so an
 * operator never sees an event that was rolled back. Best effort: the row is the record.
 */
@Injectable()
export class SwarmEventBroadcaster {
  private readonly logger = new Logger(SwarmEventBroadcaster.name);
  private readonly emitter: Emitter<OperatorServerToClientEvents>;

  constructor(
    redis: RedisService,
    @Inject(REDIS_KEYS) keys: RedisKeys,
    private readonly local: LocalSocketNamespaces,
  ) {
    this.emitter = new Emitter<OperatorServerToClientEvents>(redis.client, { key: keys.socketIo }).of(EVENTS_NAMESPACE);
  }

  broadcast(rows: SwarmEventRow[]): void {
    if (rows.length === 0) return;
    const sockets = this.local.get(EVENTS_NAMESPACE) ?? (this.emitter as unknown as SocketBroadcaster);
    for (const row of rows) {
      try {
        sockets.to(socketRooms.swarmOperators(row.swarmId)).emit('swarm.event', toSwarmEventMessage(row));
      } catch (error) {
        this.logger.warn({ err: error, eventId: row.id.toString() }, 'could not broadcast swarm event');
      }
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import {
  AGENTS_NAMESPACE,
  AgentServerToClientEvents,
  socketRooms,
  StopPayload,
  TaskAssignPayload,
  TaskCancelPayload,
} from '../../contracts/src/agent-socket';
import { RedisKeys } from './redis-keys';
import { REDIS_KEYS, RedisService } from './redis.module';

/** Tells agents things through Redis, whichever api copy holds their socket. */
@Injectable()
export class AgentSocketCommands {
  private readonly emitter: Emitter<AgentServerToClientEvents>;

  constructor(redis: RedisService, @Inject(REDIS_KEYS) keys: RedisKeys) {
    this.emitter = new Emitter<AgentServerToClientEvents>(redis.client, { key: keys.socketIo }).of(AGENTS_NAMESPACE);
  }

  stop(agentId: string, payload: StopPayload): void {
    this.emitter.to(socketRooms.agent(agentId)).emit('agent.stop', payload);
  }

  assignTask(agentId: string, payload: TaskAssignPayload): void {
    this.emitter.to(socketRooms.agent(agentId)).emit('task.assign', payload);
  }

  cancelTask(agentId: string, payload: TaskCancelPayload): void {
    this.emitter.to(socketRooms.agent(agentId)).emit('task.cancel', payload);
  }

  disconnect(agentId: string): void {
    this.emitter.in(socketRooms.agent(agentId)).disconnectSockets(true);
  }
}

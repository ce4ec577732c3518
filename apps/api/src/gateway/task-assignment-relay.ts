import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { socketRooms, TaskAssignPayload } from '@swarm/contracts';
import { AssignmentMessage, REDIS_KEYS, RedisKeys, RedisService } from '@swarm/messaging';
import type Redis from 'ioredis';
import type { Namespace } from 'socket.io';
import type { AgentSocket } from './agent-sockets';

/**
 * Delivers the distributor's assignments (one pub/sub message per pass, see
 * AgentSocketCommands.assignTasks) to the agents connected to this api copy; agents on other
 * copies are theirs. An agent that registered with accepts_task_batches gets its share of a
 * pass as one task.assign.batch; others get one task.assign per attempt.
 */
@Injectable()
export class TaskAssignmentRelay implements OnApplicationShutdown {
  private readonly logger = new Logger(TaskAssignmentRelay.name);
  private subscriber?: Redis;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  start(namespace: Namespace): void {
    if (this.subscriber) return;
    const subscriber = this.redis.client.duplicate({ connectionName: 'swarm-task-assignments', enableAutoPipelining: false });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'task assignment subscriber error'));
    subscriber.on('message', (_channel: string, message: string) => this.deliver(namespace, message));
    // ioredis subscribes again by itself after a reconnect.
    subscriber.subscribe(this.keys.taskAssignments).catch((error: unknown) => this.logger.error({ err: error }, 'could not subscribe to task assignments'));
  }

  private deliver(namespace: Namespace, message: string): void {
    let assignments: AssignmentMessage;
    try {
      assignments = JSON.parse(message) as AssignmentMessage;
      if (!Array.isArray(assignments)) throw new Error('not an array');
    } catch (error) {
      this.logger.warn({ err: error, bytes: message.length }, 'unreadable task assignment message dropped');
      return;
    }
    for (const [agentId, tasks] of assignments) {
      const room = namespace.adapter.rooms.get(socketRooms.agent(agentId));
      if (!room) continue;
      for (const socketId of room) {
        const socket = namespace.sockets.get(socketId) as AgentSocket | undefined;
        if (socket) send(socket, tasks);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }
}

function send(socket: AgentSocket, tasks: TaskAssignPayload[]): void {
  if (tasks.length > 1 && socket.data.acceptsTaskBatches) {
    socket.emit('task.assign.batch', { tasks });
    return;
  }
  for (const task of tasks) socket.emit('task.assign', task);
}

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
import type { ConsensusClosedPayload, ConsensusRequestPayload } from '../../contracts/src/consensus';
import type { SubtaskFinishedPayload } from '../../contracts/src/delegation';
import { RedisKeys } from './redis-keys';
import { REDIS_KEYS, RedisService } from './redis.module';
import { LocalSocketNamespaces, SocketBroadcaster } from './local-socket-namespaces';

/**
 * Assignments published on the task-assignments channel: [agent id, attempts][]. One message
 * per distributor pass rather than one emitter broadcast per attempt: the per-message cost
 * (a Redis write, a pub/sub delivery, a decode in every api copy) was most of an assignment's.
 */
export type AssignmentMessage = Array<[agentId: string, tasks: TaskAssignPayload[]]>;

/**
 * A message is cut here (by payload size, roughly): Redis drops a subscriber whose output
 * buffer passes 32 MB, and a pass may assign hundreds of tasks of up to 256 KiB each.
 */
const ASSIGNMENT_MESSAGE_MAX_BYTES = 1024 * 1024;

/** Tells agents things, whichever api copy holds their socket (through Redis for the others). */
@Injectable()
export class AgentSocketCommands {
  private readonly emitter: Emitter<AgentServerToClientEvents>;
  private readonly assignmentsChannel: string;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) keys: RedisKeys,
    private readonly local: LocalSocketNamespaces,
  ) {
    this.emitter = new Emitter<AgentServerToClientEvents>(redis.client, { key: keys.socketIo }).of(AGENTS_NAMESPACE);
    this.assignmentsChannel = keys.taskAssignments;
  }

  /** The api's own namespace when it serves agents (local sockets at once), else the emitter. */
  private get sockets(): SocketBroadcaster {
    return this.local.get(AGENTS_NAMESPACE) ?? (this.emitter as unknown as SocketBroadcaster);
  }

  stop(agentId: string, payload: StopPayload): void {
    this.sockets.to(socketRooms.agent(agentId)).emit('agent.stop', payload);
  }

  /**
   * Sends attempts to their agents. Fire-and-forget like every socket message: an attempt that
   * never arrives is not acknowledged and goes to another agent after the ack deadline.
   */
  async assignTasks(assignments: Array<{ agentId: string; task: TaskAssignPayload }>): Promise<void> {
    if (assignments.length === 0) return;
    const messages: string[] = [];
    let current = new Map<string, string[]>();
    let bytes = 0;
    const flush = (): void => {
      if (current.size === 0) return;
      const parts: string[] = [];
      for (const [agentId, tasks] of current) parts.push(`[${JSON.stringify(agentId)},[${tasks.join(',')}]]`);
      messages.push(`[${parts.join(',')}]`);
      current = new Map();
      bytes = 0;
    };
    for (const { agentId, task } of assignments) {
      const json = JSON.stringify(task);
      if (bytes > 0 && bytes + json.length > ASSIGNMENT_MESSAGE_MAX_BYTES) flush();
      const list = current.get(agentId);
      if (list) list.push(json);
      else current.set(agentId, [json]);
      bytes += json.length;
    }
    flush();
    await Promise.all(messages.map((message) => this.redis.client.publish(this.assignmentsChannel, message)));
  }

  cancelTask(agentId: string, payload: TaskCancelPayload): void {
    this.sockets.to(socketRooms.agent(agentId)).emit('task.cancel', payload);
  }

  /** One emitter message for every participant (socket.io rooms can be combined). */
  requestConsensus(agentIds: string[], payload: ConsensusRequestPayload): void {
    if (agentIds.length > 0) this.sockets.to(agentIds.map(socketRooms.agent)).emit('consensus.request', payload);
  }

  consensusClosed(agentIds: string[], payload: ConsensusClosedPayload): void {
    if (agentIds.length > 0) this.sockets.to(agentIds.map(socketRooms.agent)).emit('consensus.closed', payload);
  }

  /** A subtask the agent delegated is final (best effort: the agent catches up by delegating again). */
  subtaskFinished(agentId: string, payload: SubtaskFinishedPayload): void {
    this.sockets.to(socketRooms.agent(agentId)).emit('task.subtask.finished', payload);
  }

  disconnect(agentId: string): void {
    this.sockets.in(socketRooms.agent(agentId)).disconnectSockets(true);
  }
}

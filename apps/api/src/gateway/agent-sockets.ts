import type { AgentClientToServerEvents, AgentServerToClientEvents } from '@swarm/contracts';
import type { Server, Socket } from 'socket.io';

/** What the handshake learnt about the agent behind a socket. */
export interface AgentSocketData {
  agentId: string;
  ownerId: string;
  registered: boolean;
  heartbeatIntervalMs: number;
  /** Registered with accepts_task_batches: assignments may come as task.assign.batch. */
  acceptsTaskBatches?: boolean;
}

export type AgentSocket = Socket<AgentClientToServerEvents, AgentServerToClientEvents, Record<string, never>, AgentSocketData>;
export type AgentServer = Server<AgentClientToServerEvents, AgentServerToClientEvents, Record<string, never>, AgentSocketData>;

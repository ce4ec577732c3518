import type { AgentClientToServerEvents, AgentServerToClientEvents } from '@swarm/contracts';
import type { Server, Socket } from 'socket.io';

/** What the handshake learnt about the agent behind a socket. */
export interface AgentSocketData {
  agentId: string;
  ownerId: string;
  registered: boolean;
  heartbeatIntervalMs: number;
}

export type AgentSocket = Socket<AgentClientToServerEvents, AgentServerToClientEvents, Record<string, never>, AgentSocketData>;
export type AgentServer = Server<AgentClientToServerEvents, AgentServerToClientEvents, Record<string, never>, AgentSocketData>;

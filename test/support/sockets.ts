import type {
  AckResponse,
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  OperatorClientToServerEvents,
  OperatorServerToClientEvents,
  SwarmEventMessage,
} from '@swarm/contracts';
import { io, Socket } from 'socket.io-client';

export type AgentClientSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;
export type OperatorClientSocket = Socket<OperatorServerToClientEvents, OperatorClientToServerEvents>;

/** Connects and resolves once connected, or rejects with the server's refusal reason. */
function connected<T extends Socket>(socket: T): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export function connectAgent(baseUrl: string, token: string | undefined): Promise<AgentClientSocket> {
  const socket: AgentClientSocket = io(`${baseUrl}/agents`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return connected(socket);
}

export function connectOperator(baseUrl: string, key: string): Promise<OperatorClientSocket> {
  const socket: OperatorClientSocket = io(`${baseUrl}/events`, { auth: { key }, transports: ['websocket'], reconnection: false, forceNew: true });
  return connected(socket);
}

/** Emits with an ack and waits for it (socket.io's own timeout turns silence into an error). */
export function request<T>(socket: Socket, event: string, payload: unknown, timeoutMs = 5_000): Promise<AckResponse<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<AckResponse<T>>;
}

/** Collects swarm events an operator socket receives, and waits for particular ones. */
export class EventRecorder {
  readonly events: SwarmEventMessage[] = [];
  private waiters: { match: (e: SwarmEventMessage) => boolean; resolve: (e: SwarmEventMessage) => void }[] = [];

  constructor(socket: OperatorClientSocket) {
    socket.on('swarm.event', (event) => {
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(event)) return true;
        w.resolve(event);
        return false;
      });
    });
  }

  waitFor(match: (e: SwarmEventMessage) => boolean, timeoutMs = 10_000, after = 0): Promise<SwarmEventMessage> {
    const seen = this.events.slice(after).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching swarm event within ${timeoutMs} ms; got: ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }
}

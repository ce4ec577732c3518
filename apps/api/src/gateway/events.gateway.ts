import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Principal } from '@swarm/auth';
import {
  AckResponse,
  EVENTS_NAMESPACE,
  OperatorClientToServerEvents,
  OperatorServerToClientEvents,
  socketRooms,
} from '@swarm/contracts';
import { SwarmRepository } from '@swarm/db';
import { LocalSocketNamespaces } from '@swarm/messaging';
import type { Namespace, Socket } from 'socket.io';
import { Authenticator } from '../auth/authenticator.service';
import { UNAUTHENTICATED_MESSAGE } from '../auth/auth.guard';

type OperatorSocket = Socket<OperatorClientToServerEvents, OperatorServerToClientEvents, Record<string, never>, { principal: Principal }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Namespace /events: operators (API key or JWT, like REST) subscribe to swarms they own and
 * receive every swarm event live, from whichever process recorded it.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE })
export class EventsGateway implements OnGatewayInit {
  private readonly logger = new Logger(EventsGateway.name);

  constructor(
    private readonly authenticator: Authenticator,
    private readonly swarms: SwarmRepository,
    private readonly namespaces: LocalSocketNamespaces,
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespaces.attach(EVENTS_NAMESPACE, namespace);
    namespace.use((socket, next) => {
      this.authenticate(socket as OperatorSocket).then(
        (principal) => {
          if (!principal) return next(new Error(UNAUTHENTICATED_MESSAGE));
          (socket as OperatorSocket).data = { principal };
          next();
        },
        (error: unknown) => {
          this.logger.error({ err: error }, 'operator handshake failed');
          next(new Error('authentication is unavailable; retry later'));
        },
      );
    });
  }

  /** Credentials from the handshake: auth {key} or {token}, or the same headers as REST. */
  private authenticate(socket: OperatorSocket) {
    const auth = (socket.handshake.auth ?? {}) as { key?: unknown; token?: unknown };
    const headerKey = socket.handshake.headers['x-api-key'];
    const key = typeof auth.key === 'string' ? auth.key : typeof headerKey === 'string' ? headerKey : undefined;
    if (key) return this.authenticator.fromApiKey(key);
    const bearer = /^Bearer (.+)$/i.exec(socket.handshake.headers.authorization ?? '')?.[1];
    const token = typeof auth.token === 'string' ? auth.token : bearer;
    return token ? this.authenticator.fromBearerToken(token) : Promise.resolve(null);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: OperatorSocket, @MessageBody() payload: unknown): Promise<AckResponse<{ swarm_id: string }>> {
    const swarmId = (payload as { swarm_id?: unknown } | null)?.swarm_id;
    if (typeof swarmId !== 'string' || !UUID.test(swarmId)) {
      return { ok: false, error: { code: 'validation_failed', message: 'swarm_id must be a UUID' } };
    }
    // Same rule as REST: another owner's swarm does not exist for you.
    if (!(await this.swarms.findForOwner(socket.data.principal.ownerId, swarmId))) {
      return { ok: false, error: { code: 'not_found', message: `swarm ${swarmId} was not found` } };
    }
    await socket.join(socketRooms.swarmOperators(swarmId));
    return { ok: true, data: { swarm_id: swarmId } };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: OperatorSocket, @MessageBody() payload: unknown): Promise<AckResponse<{ swarm_id: string }>> {
    const swarmId = (payload as { swarm_id?: unknown } | null)?.swarm_id;
    if (typeof swarmId !== 'string') return { ok: false, error: { code: 'validation_failed', message: 'swarm_id must be a UUID' } };
    await socket.leave(socketRooms.swarmOperators(swarmId));
    return { ok: true, data: { swarm_id: swarmId } };
  }
}

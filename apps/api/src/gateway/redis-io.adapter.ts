import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { AppConfig } from '@swarm/config';
import type { RedisKeys, RedisService } from '@swarm/messaging';
import type { Server, ServerOptions } from 'socket.io';
import type { ApiCopyPresence } from './api-copy-presence';
import { WriteCoalescingWebSocketServer } from './write-coalescing';

/**
 * socket.io over the Redis adapter: rooms and broadcasts span every api copy, and the worker's
 * emitter reaches sockets wherever they are connected.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly publisher;
  private readonly subscriber;

  constructor(
    app: INestApplicationContext,
    redis: RedisService,
    private readonly keys: RedisKeys,
    private readonly config: AppConfig,
    private readonly presence: ApiCopyPresence,
  ) {
    super(app);
    this.publisher = redis.client.duplicate({ connectionName: 'swarm-sio-pub', enableAutoPipelining: false });
    this.subscriber = redis.client.duplicate({ connectionName: 'swarm-sio-sub', enableAutoPipelining: false });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: this.config.sockets.maxPayloadBytes,
      transports: ['websocket', 'polling'],
      wsEngine: WriteCoalescingWebSocketServer,
    }) as Server;
    const { publisher, subscriber, presence } = this;
    const adapterOptions: Partial<RedisAdapterOptions> = { key: this.keys.socketIo };
    // socket.io calls this with `new`, so a function rather than an arrow (as createAdapter does).
    server.adapter(function presenceAwareAdapter(nsp: unknown) {
      return new PresenceAwareRedisAdapter(nsp, publisher, subscriber, adapterOptions, presence);
    } as unknown as Parameters<Server['adapter']>[0]);
    return server;
  }

  override async dispose(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

type BroadcastOptions = Parameters<RedisAdapter['broadcast']>[1];

/**
 * The Redis adapter, minus the Redis publish of a broadcast while this is the only api copy:
 * every socket it could reach is then local. Everything else (remote requests, the worker's
 * emitter reaching this copy) is the adapter's own.
 */
class PresenceAwareRedisAdapter extends RedisAdapter {
  constructor(
    nsp: unknown,
    publisher: unknown,
    subscriber: unknown,
    options: Partial<RedisAdapterOptions>,
    private readonly presence: ApiCopyPresence,
  ) {
    super(nsp, publisher, subscriber, options);
  }

  override broadcast(packet: unknown, opts: BroadcastOptions): void {
    if (this.presence.isAlone && !opts.flags?.local) super.broadcast(packet, { ...opts, flags: { ...opts.flags, local: true } });
    else super.broadcast(packet, opts);
  }
}

import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { AppConfig } from '@swarm/config';
import type { RedisKeys, RedisService } from '@swarm/messaging';
import type { Server, ServerOptions } from 'socket.io';

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
    }) as Server;
    server.adapter(createAdapter(this.publisher, this.subscriber, { key: this.keys.socketIo }));
    return server;
  }

  override async dispose(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

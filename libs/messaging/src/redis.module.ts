import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import Redis from 'ioredis';
import { redisKeys, RedisKeys } from './redis-keys';

export const REDIS_KEYS = Symbol('REDIS_KEYS');

/**
 * Three connections: `client` for our own commands (auto-pipelined: commands issued in the same
 * tick share one write), `bull` for BullMQ (which defines ~64 Lua commands on its connection;
 * ioredis copies them into every pipeline built on it, so it must not be ours), and `probe`,
 * which fails fast instead of queueing, for readiness checks. The first two wait while Redis
 * reconnects, as BullMQ requires.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  readonly bull: Redis;
  readonly probe: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = new Redis(config.redis.url, {
      maxRetriesPerRequest: null,
      enableAutoPipelining: true,
      connectionName: 'swarm-main',
    });
    this.bull = new Redis(config.redis.url, { maxRetriesPerRequest: null, connectionName: 'swarm-bullmq' });
    this.probe = new Redis(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      connectionName: 'swarm-probe',
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    for (const [name, connection] of [['main', this.client], ['bullmq', this.bull], ['probe', this.probe]] as const) {
      connection.on('error', (error: Error) => this.logger.warn({ connection: name, err: error.message }, 'redis connection error'));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([closeConnection(this.client), closeConnection(this.bull), closeConnection(this.probe)]);
  }
}

/** QUIT waits for Redis to answer; when Redis is gone that is forever, so drop the socket instead. */
async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1_000);
  });
  await Promise.race([connection.quit().then(() => undefined, () => undefined), timedOut]);
  clearTimeout(timer);
  connection.disconnect();
}

@Global()
@Module({
  providers: [
    RedisService,
    { provide: REDIS_KEYS, inject: [APP_CONFIG], useFactory: (c: AppConfig): RedisKeys => redisKeys(c.redis.keyPrefix) },
  ],
  exports: [RedisService, REDIS_KEYS],
})
export class RedisModule {}

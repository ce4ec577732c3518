import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { DbModule } from '@swarm/db';
import { BroadcastModule, RedisModule, RedisService, redisKeys } from '@swarm/messaging';
import { loggerParams, MetricsModule } from '@swarm/observability';
import { LoggerModule } from 'nestjs-pino';
import { projectVersion } from './project-info';

export const SERVICE_NAME = Symbol('SERVICE_NAME');

@Global()
@Module({})
class ConfigHolderModule {
  static register(config: AppConfig, service: string): DynamicModule {
    return {
      module: ConfigHolderModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SERVICE_NAME, useValue: service },
      ],
      exports: [APP_CONFIG, SERVICE_NAME],
    };
  }
}

/**
 * What every process needs, wired once from the validated config: logging, Postgres,
 * Redis and the BullMQ connection. Apps import this and add their own modules.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, service: string): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigHolderModule.register(config, service),
        LoggerModule.forRoot(loggerParams(config, service, projectVersion())),
        MetricsModule.forService(service),
        DbModule,
        RedisModule,
        BroadcastModule,
        BullModule.forRootAsync({
          inject: [RedisService],
          useFactory: (redis: RedisService) => ({
            connection: redis.bull,
            prefix: redisKeys(config.redis.keyPrefix).bullPrefix,
          }),
        }),
      ],
      exports: [ConfigHolderModule, MetricsModule, DbModule, RedisModule, BroadcastModule, BullModule],
    };
  }
}

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@swarm/config';
import { REDIS_KEYS, RedisService } from '@swarm/messaging';
import { requestIdFor, REQUEST_ID_HEADER } from '@swarm/observability';
import { projectVersion } from '@swarm/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';
import { createValidationPipe } from './common/validation';
import { setupSwagger } from './docs/swagger';
import { ApiCopyPresence } from './gateway/api-copy-presence';
import { RedisIoAdapter } from './gateway/redis-io.adapter';

/**
 * Builds the api application (not yet listening). main.ts and the end-to-end tests share it,
 * so the tests exercise exactly what runs in production.
 */
export async function createApiApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useWebSocketAdapter(new RedisIoAdapter(app, app.get(RedisService), app.get(REDIS_KEYS), config, app.get(ApiCopyPresence)));

  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text body would otherwise reach validation as a string and get a vaguer 400.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });

  setupSwagger(app, projectVersion());
  return app;
}

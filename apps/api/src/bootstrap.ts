import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@swarm/config';
import { requestIdFor, REQUEST_ID_HEADER } from '@swarm/observability';
import { projectVersion } from '@swarm/platform';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';
import { mapError } from './common/exception-mapper';
import { createValidationPipe } from './common/validation';
import { setupSwagger } from './docs/swagger';

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
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  // Body parsing fails before Nest sees the request; give those errors the same shape too.
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, unexpected } = mapError(error, config.http.bodyLimitBytes);
    if (unexpected) request.log?.error?.({ err: unexpected, error_id: body.error_id }, 'unhandled error');
    void reply.status(status).send(body);
  });

  setupSwagger(app, projectVersion());
  return app;
}

import { ArgumentsHost, Catch, ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './exception-mapper';

/** The single place where errors become HTTP responses. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, unexpected } = mapError(exception, this.config.http.bodyLimitBytes);
    if (unexpected) {
      this.logger.error(
        { err: unexpected, error_id: body.error_id, method: request.method, url: request.url, request_id: request.id },
        'unhandled error',
      );
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

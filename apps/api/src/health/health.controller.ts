import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Metrics } from '@swarm/observability';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { Readiness, ReadinessService } from './readiness.service';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: Metrics,
  ) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics of this api copy (text exposition format)' })
  @ApiOkResponse({ description: 'Prometheus text format', content: { 'text/plain': {} } })
  async prometheus(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process is up (does not touch dependencies)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', uptime_s: 12 } } })
  health() {
    return { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: Postgres, Redis and migrations; 503 names what failed' })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; checks say which dependency failed and why' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness & { message?: string }> {
    const result = await this.readiness.check();
    if (!result.ready) {
      void reply.status(503);
      const failed = Object.entries(result.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.error}`);
      return { ...result, message: `not ready: ${failed.join('; ')}` };
    }
    return result;
  }
}

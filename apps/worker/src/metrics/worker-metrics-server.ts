import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { Metrics } from '@swarm/observability';

/**
 * The worker has no HTTP server of its own: this one serves only GET /metrics (Prometheus text
 * format) on HOST:WORKER_METRICS_PORT, so the engine's histograms observed in the worker can be
 * scraped. WORKER_METRICS_PORT=0 turns it off. A port already taken stops the start-up.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.worker.metricsPort;
    if (port === 0) return;
    const host = this.config.http.host;
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`WORKER_METRICS_PORT ${port} on ${host} is in use: give each worker copy on a host its own port, or 0 to turn the endpoint off`)
            : error,
        ),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('error', (error) => this.logger.error({ err: error.message }, 'metrics endpoint error'));
    this.server = server;
    this.logger.log({ host, port }, 'worker metrics endpoint listening');
  }

  /** Where it listens, or null when it is off. */
  address(): { host: string; port: number } | null {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? { host: address.address, port: address.port } : null;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A scraper's idle keep-alive connection must not hold the shutdown.
      server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the worker serves only GET /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      const body = await this.metrics.registry.metrics();
      response.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'collecting metrics failed');
      response.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
    }
  }
}

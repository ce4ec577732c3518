import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRICS_SERVICE_NAME = Symbol('METRICS_SERVICE_NAME');

/**
 * Prometheus metrics of one process (prom-client). Each process has its own registry, so
 * in-process tests with several apps do not collide; Prometheus sums over copies.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly heartbeatHandling = new Histogram({
    name: 'swarm_heartbeat_handling_seconds',
    help: 'Time the gateway spends on one agent heartbeat (validation + Redis write), until the ack',
    buckets: [0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });

  readonly connectedAgents = new Gauge({
    name: 'swarm_connected_agent_sockets',
    help: 'Agent sockets connected to this api copy',
    registers: [this.registry],
  });

  readonly socketEventsRefused = new Counter({
    name: 'swarm_socket_events_refused_total',
    help: 'Socket events refused by the per-socket rate limit',
    registers: [this.registry],
  });

  constructor(@Inject(METRICS_SERVICE_NAME) service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
}

@Global()
@Module({})
export class MetricsModule {
  static forService(service: string) {
    return {
      module: MetricsModule,
      providers: [{ provide: METRICS_SERVICE_NAME, useValue: service }, Metrics],
      exports: [Metrics],
    };
  }
}

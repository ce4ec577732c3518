import { Injectable } from '@nestjs/common';
import type { SwarmMetricsView } from '@swarm/contracts';
import { TaskMetricsRepository } from '@swarm/db';
import { DEFAULT_LIVE_METRIC_WINDOW, LiveMetricWindow, METRIC_WINDOW_MS, NotFound } from '@swarm/domain';
import { presentSwarmMetrics } from '../metrics.presenter';

/** Live figures of a swarm over [now - window, now), computed from Postgres on each call. */
@Injectable()
export class GetSwarmMetrics {
  constructor(private readonly metrics: TaskMetricsRepository) {}

  async execute(ownerId: string, swarmId: string, window: LiveMetricWindow = DEFAULT_LIVE_METRIC_WINDOW, now = Date.now()): Promise<SwarmMetricsView> {
    const to = new Date(now);
    const from = new Date(now - METRIC_WINDOW_MS[window]);
    const figures = await this.metrics.liveFigures(ownerId, swarmId, from, to);
    if (!figures) throw new NotFound('swarm', swarmId);
    return presentSwarmMetrics(window, figures);
  }

  /** As execute for each of the swarms, read in one statement; swarms the owner does not own are left out. */
  async forSwarms(ownerId: string, swarmIds: readonly string[], window: LiveMetricWindow = DEFAULT_LIVE_METRIC_WINDOW, now = Date.now()): Promise<Map<string, SwarmMetricsView>> {
    const to = new Date(now);
    const from = new Date(now - METRIC_WINDOW_MS[window]);
    const figures = await this.metrics.liveFiguresOfSwarms(ownerId, swarmIds, from, to);
    return new Map([...figures].map(([id, f]) => [id, presentSwarmMetrics(window, f)]));
  }
}

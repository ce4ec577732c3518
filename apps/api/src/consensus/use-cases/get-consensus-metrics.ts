import { Injectable } from '@nestjs/common';
import type { ConsensusMetricsView } from '@swarm/contracts';
import { ConsensusRepository } from '@swarm/db';
import { DEFAULT_LIVE_METRIC_WINDOW, LiveMetricWindow, METRIC_WINDOW_MS, NotFound } from '@swarm/domain';

/** How the owner's proposals of a window fared, computed from the database now. */
@Injectable()
export class GetConsensusMetrics {
  constructor(private readonly proposals: ConsensusRepository) {}

  async execute(ownerId: string, swarmId: string | undefined, window: LiveMetricWindow = DEFAULT_LIVE_METRIC_WINDOW): Promise<ConsensusMetricsView> {
    if (swarmId && !(await this.proposals.swarmMembers(ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const to = new Date();
    const from = new Date(to.getTime() - METRIC_WINDOW_MS[window]);
    const row = await this.proposals.metrics(ownerId, swarmId, from, to);
    // Cancelled proposals were withdrawn, not failed: they count in neither side of the rate.
    const closed = row.decided + row.notReached;
    return {
      swarm_id: swarmId ?? null,
      window,
      from: from.toISOString(),
      to: to.toISOString(),
      proposals: { open: row.open, decided: row.decided, not_reached: row.notReached, cancelled: row.cancelled, total: row.open + closed + row.cancelled },
      success_rate: closed > 0 ? row.decided / closed : null,
      not_reached_by_reason: row.reasons,
      decision_time_ms: { p50: row.p50, p99: row.p99, mean: row.mean, count: row.decided },
    };
  }
}

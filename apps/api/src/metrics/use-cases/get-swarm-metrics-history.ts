import { Injectable } from '@nestjs/common';
import type { SwarmMetricsHistoryView } from '@swarm/contracts';
import { SwarmRepository, TaskMetricsRepository } from '@swarm/db';
import {
  DEFAULT_HISTORY_WINDOW,
  defaultHistoryFrom,
  METRICS_HISTORY_PAGE,
  NotFound,
  RollupWindow,
  ValidationFailed,
} from '@swarm/domain';
import { presentRollup } from '../metrics.presenter';

export interface HistoryRequest {
  window?: RollupWindow;
  from?: Date;
  to?: Date;
  cursor?: Date;
  limit?: number;
}

/** Stored roll-ups (swarm_metrics) of one window, oldest first, paged by bucket start. */
@Injectable()
export class GetSwarmMetricsHistory {
  constructor(
    private readonly swarms: SwarmRepository,
    private readonly metrics: TaskMetricsRepository,
  ) {}

  async execute(ownerId: string, swarmId: string, request: HistoryRequest, now = Date.now()): Promise<SwarmMetricsHistoryView> {
    const window = request.window ?? DEFAULT_HISTORY_WINDOW;
    const to = request.to ?? new Date(now);
    const from = request.from ?? new Date(defaultHistoryFrom(window, to.getTime()));
    if (from.getTime() >= to.getTime()) {
      throw new ValidationFailed('from must be before to', [`from (${from.toISOString()}) must be before to (${to.toISOString()})`]);
    }
    if (!(await this.swarms.findForOwner(ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const limit = request.limit ?? METRICS_HISTORY_PAGE.default;
    const page = await this.metrics.listRollups(ownerId, swarmId, { window, from, to, after: request.cursor, limit });
    const items = page.items.map((row) => presentRollup(window, row));
    return {
      swarm_id: swarmId,
      window,
      from: from.toISOString(),
      to: to.toISOString(),
      items,
      next_cursor: page.hasMore ? items[items.length - 1].bucket_start : null,
    };
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { TaskMetricsRepository } from '@swarm/db';
import { bucketsToRollUp, METRIC_WINDOW_MS, RollupWindow } from '@swarm/domain';
import { metricsRollupDoneKey, RedisService } from '@swarm/messaging';
import { toRollupRow } from './rollup-row';

/** Swarms computed at once within one bucket (each is one SQL statement and one upsert). */
const SWARM_CONCURRENCY = 4;

export interface RollupRun {
  window: RollupWindow;
  /** Bucket starts computed (ms), oldest first. */
  buckets: number[];
  /** swarm_metrics rows written (one per active swarm and bucket). */
  rows: number;
}

/**
 * Rolls task history up into swarm_metrics. Idempotent: a bucket recomputed gives the same row
 * (upsert on swarm, window, bucket start), so a job run twice, or by two workers, does no harm.
 * A Redis watermark per window remembers the newest bucket done for every swarm; after downtime
 * the missed buckets are computed, at most ROLLUP_CATCH_UP_BUCKETS of them.
 */
@Injectable()
export class RollUpSwarmMetrics {
  private readonly logger = new Logger(RollUpSwarmMetrics.name);
  private readonly doneKey: string;

  constructor(
    private readonly metrics: TaskMetricsRepository,
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.doneKey = metricsRollupDoneKey(config.redis.keyPrefix);
  }

  /** The scheduled run: every closed bucket of the window after the watermark, oldest first. */
  async catchUp(window: RollupWindow, now = Date.now()): Promise<RollupRun> {
    const lastDone = await this.lastDone(window);
    const buckets = bucketsToRollUp({ window, now, lastDone });
    let rows = 0;
    for (const start of buckets) {
      rows += await this.rollUpBucket(window, start);
      // GT: the watermark only moves forward, whatever order concurrent runs finish in.
      await this.redis.client.zadd(this.doneKey, 'GT', start, window);
    }
    if (buckets.length > 0) {
      this.logger.log({ window, buckets: buckets.length, from: new Date(buckets[0]).toISOString(), rows }, 'swarm metrics rolled up');
    }
    return { window, buckets, rows };
  }

  /** One bucket for every swarm with activity in it; returns the rows written. */
  async rollUpBucket(window: RollupWindow, bucketStart: number): Promise<number> {
    const windowMs = METRIC_WINDOW_MS[window];
    if (!Number.isSafeInteger(bucketStart) || bucketStart % windowMs !== 0) {
      throw new RangeError(`bucket start ${bucketStart} is not aligned on the ${window} window`);
    }
    const from = new Date(bucketStart);
    const to = new Date(bucketStart + windowMs);
    const swarmIds = await this.metrics.swarmsActiveIn(from, to);
    let next = 0;
    const worker = async () => {
      while (next < swarmIds.length) {
        const swarmId = swarmIds[next++];
        const figures = await this.metrics.bucketFigures(swarmId, from, to);
        await this.metrics.upsertRollup(toRollupRow(window, figures));
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWARM_CONCURRENCY, swarmIds.length) }, worker));
    return swarmIds.length;
  }

  /** Start (ms) of the newest bucket of the window rolled up for every swarm, or null. */
  async lastDone(window: RollupWindow): Promise<number | null> {
    const score = await this.redis.client.zscore(this.doneKey, window);
    return score === null ? null : Number(score);
  }
}

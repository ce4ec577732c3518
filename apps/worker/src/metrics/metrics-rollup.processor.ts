import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { isRollupWindow } from '@swarm/domain';
import { METRICS_ROLLUP_SCHEDULES, MetricsRollupJob, MetricsRollupJobData, MetricsRollupJobs, Queues } from '@swarm/messaging';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { RollUpSwarmMetrics } from './roll-up-swarm-metrics';

/**
 * Metric roll-ups. Each window has a BullMQ job scheduler, so however many workers run this
 * role, one roll-up runs per period; a job may also name one bucket to recompute.
 */
@Processor(Queues.MetricsRollup, { concurrency: 3 })
export class MetricsRollupProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(MetricsRollupProcessor.name);
  private readonly handlers: Record<MetricsRollupJob, (job: Job) => Promise<unknown>>;

  constructor(
    private readonly rollup: RollUpSwarmMetrics,
    @InjectQueue(Queues.MetricsRollup) private readonly queue: Queue,
  ) {
    super();
    this.handlers = {
      [MetricsRollupJobs.Rollup]: (job) => this.run(job.data as MetricsRollupJobData),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const schedule of METRICS_ROLLUP_SCHEDULES) {
      await this.queue.upsertJobScheduler(
        schedule.id,
        { pattern: schedule.pattern, tz: 'UTC' },
        { name: MetricsRollupJobs.Rollup, data: { window: schedule.window }, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
    }
    this.logger.log({ schedules: METRICS_ROLLUP_SCHEDULES.map((s) => `${s.window}@${s.pattern}`) }, 'metric roll-ups scheduled');
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as MetricsRollupJob];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${Queues.MetricsRollup}`);
    return handler(job);
  }

  private async run(data: MetricsRollupJobData): Promise<unknown> {
    if (!data || typeof data.window !== 'string' || !isRollupWindow(data.window)) {
      throw new UnrecoverableError(`window must be one of 1m, 5m, 1h; got ${JSON.stringify(data?.window)}`);
    }
    if (data.bucketStart !== undefined) {
      try {
        const rows = await this.rollup.rollUpBucket(data.window, data.bucketStart);
        return { window: data.window, buckets: 1, rows };
      } catch (error) {
        if (error instanceof RangeError) throw new UnrecoverableError(error.message);
        throw error;
      }
    }
    const run = await this.rollup.catchUp(data.window);
    return { window: run.window, buckets: run.buckets.length, rows: run.rows };
  }
}

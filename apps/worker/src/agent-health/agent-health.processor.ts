import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AgentConnectionJobData, AgentHealthJob, AgentHealthJobs, HEALTH_SWEEP_INTERVAL_MS, jobIds, Queues } from '@swarm/messaging';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { AgentHealthService } from './agent-health.service';

/**
 * The health monitor. The sweep is a BullMQ job scheduler: however many workers run, one sweep
 * runs per period. Connection changes from the gateway are handled as soon as they arrive.
 */
@Processor(Queues.AgentHealth, { concurrency: 4 })
export class AgentHealthProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(AgentHealthProcessor.name);
  private readonly handlers: Record<AgentHealthJob, (job: Job) => Promise<unknown>>;

  constructor(
    health: AgentHealthService,
    @InjectQueue(Queues.AgentHealth) private readonly queue: Queue,
  ) {
    super();
    this.handlers = {
      [AgentHealthJobs.Sweep]: () => health.sweep(),
      [AgentHealthJobs.Connected]: (job) => health.evaluateAgent((job.data as AgentConnectionJobData).agentId),
      [AgentHealthJobs.Disconnected]: (job) => health.evaluateAgent((job.data as AgentConnectionJobData).agentId),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      jobIds.healthSweepScheduler,
      { every: HEALTH_SWEEP_INTERVAL_MS },
      { name: AgentHealthJobs.Sweep, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    this.logger.log({ everyMs: HEALTH_SWEEP_INTERVAL_MS }, 'health sweep scheduled');
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as AgentHealthJob];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${Queues.AgentHealth}`);
    return handler(job);
  }
}

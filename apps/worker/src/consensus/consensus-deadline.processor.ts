import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CONSENSUS_SWEEP_INTERVAL_MS, ConsensusCloseJobData, ConsensusDeadlineJob, ConsensusDeadlineJobs, consensusJobIds, Queues } from '@swarm/messaging';
import { ConsensusSettlement } from '@swarm/task-engine';
import { Job, Queue, UnrecoverableError } from 'bullmq';

/**
 * Closes proposals at their deadline: a delayed job per proposal (scheduled by the api when it
 * opens one), and a periodic sweep of open proposals past their deadline in case a job was lost
 * or ran early. Both end in ConsensusSettlement, whose guarded close makes repeats harmless.
 */
@Processor(Queues.ConsensusDeadlines, { concurrency: 8 })
export class ConsensusDeadlineProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(ConsensusDeadlineProcessor.name);
  private readonly handlers: Record<ConsensusDeadlineJob, (job: Job) => Promise<unknown>>;

  constructor(
    settlement: ConsensusSettlement,
    @InjectQueue(Queues.ConsensusDeadlines) private readonly queue: Queue,
  ) {
    super();
    this.handlers = {
      [ConsensusDeadlineJobs.Close]: (job) => settlement.closeAtDeadline((job.data as ConsensusCloseJobData).proposalId),
      [ConsensusDeadlineJobs.Sweep]: () => settlement.closeOverdue(),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      consensusJobIds.sweepScheduler,
      { every: CONSENSUS_SWEEP_INTERVAL_MS },
      { name: ConsensusDeadlineJobs.Sweep, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    this.logger.log('consensus deadlines scheduled');
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as ConsensusDeadlineJob];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${Queues.ConsensusDeadlines}`);
    return handler(job);
  }
}

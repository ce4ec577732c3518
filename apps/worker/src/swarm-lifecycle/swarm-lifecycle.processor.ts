import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Queues, SwarmLifecycleJob, SwarmLifecycleJobs, SwarmTeardownJobData } from '@swarm/messaging';
import { Job, UnrecoverableError } from 'bullmq';
import { TeardownSwarm } from './teardown-swarm';

/** Thin: maps each job name to its use-case. The Record type makes a missing handler a compile error. */
@Processor(Queues.SwarmLifecycle, { concurrency: 4 })
export class SwarmLifecycleProcessor extends WorkerHost {
  private readonly handlers: Record<SwarmLifecycleJob, (job: Job) => Promise<unknown>>;

  constructor(teardown: TeardownSwarm) {
    super();
    this.handlers = {
      [SwarmLifecycleJobs.Teardown]: (job) => teardown.execute(job.data as SwarmTeardownJobData),
    };
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as SwarmLifecycleJob];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${Queues.SwarmLifecycle}`);
    return handler(job);
  }
}

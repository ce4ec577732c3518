import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queues, TASK_MAINTENANCE_SCHEDULES, TaskMaintenanceJob, TaskMaintenanceJobs } from '@swarm/messaging';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { AttemptExpiry } from './attempt-expiry';
import { TaskReconciler } from './task-reconciler';

/** Timeouts and reconciliation: BullMQ job schedulers, so one run per period across workers. */
@Processor(Queues.TaskMaintenance, { concurrency: 2 })
export class TaskMaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskMaintenanceProcessor.name);
  private readonly handlers: Record<TaskMaintenanceJob, () => Promise<unknown>>;

  constructor(
    expiry: AttemptExpiry,
    reconciler: TaskReconciler,
    @InjectQueue(Queues.TaskMaintenance) private readonly queue: Queue,
  ) {
    super();
    this.handlers = {
      [TaskMaintenanceJobs.ExpireAttempts]: () => expiry.expireDue(),
      [TaskMaintenanceJobs.Reconcile]: () => reconciler.reconcile(),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const schedule of TASK_MAINTENANCE_SCHEDULES) {
      await this.queue.upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.job, opts: { removeOnComplete: true, removeOnFail: 100 } });
    }
    this.logger.log('task timeouts and reconciliation scheduled');
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as TaskMaintenanceJob];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${Queues.TaskMaintenance}`);
    return handler();
  }
}

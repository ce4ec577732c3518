import { Injectable, Logger } from '@nestjs/common';
import { HistoryRepository, PrismaService, TaskTransitions } from '@swarm/db';
import { TaskEffects, TaskSettlement } from '@swarm/task-engine';
import { SwarmEventType } from '@swarm/domain';
import { SwarmEventBroadcaster, type SwarmTeardownJobData } from '@swarm/messaging';

export interface TeardownOutcome {
  status: 'done' | 'already_done' | 'swarm_missing' | 'not_terminated';
  membershipsReleased: number;
  tasksCancelled: number;
}

const OPEN_TASK_STATUSES = ['pending', 'queued', 'assigned', 'running'] as const;

/**
 * Releases a terminated swarm's agents and cancels its open tasks, in one transaction.
 * Safe to run any number of times: a second run finds nothing left to change and records
 * no second completion event.
 */
@Injectable()
export class TeardownSwarm {
  private readonly logger = new Logger(TeardownSwarm.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
  ) {}

  async execute(job: SwarmTeardownJobData): Promise<TeardownOutcome> {
    const effects = new TaskEffects();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const swarm = await tx.swarm.findFirst({ where: { id: job.swarmId, ownerId: job.ownerId } });
      if (!swarm) return { status: 'swarm_missing', membershipsReleased: 0, tasksCancelled: 0 } as const;
      if (swarm.status !== 'terminated') return { status: 'not_terminated', membershipsReleased: 0, tasksCancelled: 0 } as const;

      const now = new Date();
      const released = await tx.swarmMembership.updateMany({
        where: { swarmId: swarm.id, status: 'active' },
        data: { status: 'left', leftAt: now },
      });
      const open = await tx.task.findMany({
        where: { swarmId: swarm.id, ownerId: job.ownerId, status: { in: [...OPEN_TASK_STATUSES] } },
        select: { id: true },
      });
      const cancelledTasks = await this.transitions.cancel(tx, job.ownerId, open.map((t) => t.id), 'swarm terminated');
      for (const task of cancelledTasks) {
        // Agents still working on them stop, and their slots free up for their other swarms.
        if (task.agentId && task.fencingToken !== null) {
          effects.cancelNotices.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken, reason: 'swarm terminated' });
          effects.releaseInFlight.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken });
        }
      }
      await this.settlement.finish(tx, cancelledTasks, effects);
      const cancelled = { count: cancelledTasks.length };
      const alreadyRecorded = await tx.swarmEvent.findFirst({
        where: { swarmId: swarm.id, type: SwarmEventType.TeardownCompleted },
        select: { id: true },
      });
      if (alreadyRecorded && released.count === 0 && cancelled.count === 0) {
        return { status: 'already_done', membershipsReleased: 0, tasksCancelled: 0 } as const;
      }
      const event = await this.history.appendSwarmEvent(tx, {
        swarmId: swarm.id,
        ownerId: job.ownerId,
        type: SwarmEventType.TeardownCompleted,
        data: { memberships_released: released.count, tasks_cancelled: cancelled.count },
      });
      return { status: 'done', membershipsReleased: released.count, tasksCancelled: cancelled.count, event } as const;
    });
    await this.settlement.apply(effects);
    if ('event' in outcome && outcome.event) this.broadcaster.broadcast([outcome.event]);
    const { status, membershipsReleased, tasksCancelled } = outcome;
    this.logger.log({ swarmId: job.swarmId, requestId: job.requestId, status, membershipsReleased, tasksCancelled }, 'swarm teardown');
    return { status, membershipsReleased, tasksCancelled };
  }
}

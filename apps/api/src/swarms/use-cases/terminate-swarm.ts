import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HistoryRepository, PrismaService, SwarmEvent, SwarmRepository, SwarmWithCounts } from '@swarm/db';
import { NotFound, SwarmEventType } from '@swarm/domain';
import { jobIds, Queues, SwarmEventBroadcaster, SwarmLifecycleJobs, SwarmTeardownJobData } from '@swarm/messaging';
import { Queue } from 'bullmq';
import type { Actor } from '../../auth/auth.decorators';

/**
 * Marks the swarm terminated (history stays readable), then asks the worker to tear it down
 * (release agents, cancel open tasks). Idempotent: calling it again on a terminated swarm only
 * re-schedules the teardown, which is itself idempotent — so a failed enqueue is fixed by a retry.
 */
@Injectable()
export class TerminateSwarm {
  private readonly logger = new Logger(TerminateSwarm.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
    @InjectQueue(Queues.SwarmLifecycle) private readonly lifecycle: Queue<SwarmTeardownJobData>,
  ) {}

  async execute(actor: Actor, swarmId: string): Promise<SwarmWithCounts> {
    const { principal, requestId } = actor;
    const ownerId = principal.ownerId;
    const events: SwarmEvent[] = [];
    const swarm = await this.prisma.$transaction(async (tx) => {
      if (!(await this.swarms.lockForOwner(tx, ownerId, swarmId))) throw new NotFound('swarm', swarmId);
      const current = (await this.swarms.findForOwner(ownerId, swarmId, tx))!;
      if (current.status === 'terminated') return current;
      const terminated = await this.swarms.update(tx, ownerId, swarmId, { status: 'terminated', terminatedAt: new Date() });
      events.push(
        await this.history.appendSwarmEvent(tx, {
          swarmId,
          ownerId,
          type: SwarmEventType.Terminated,
          data: { previous_status: current.status },
        }),
      );
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: principal.keyId,
        action: 'swarm.terminate',
        resourceType: 'swarm',
        resourceId: swarmId,
        requestId,
      });
      return terminated;
    });
    this.broadcaster.broadcast(events);
    await this.scheduleTeardown({ swarmId, ownerId, requestId: requestId ?? undefined });
    return swarm;
  }

  private async scheduleTeardown(data: SwarmTeardownJobData): Promise<void> {
    try {
      await this.lifecycle.add(SwarmLifecycleJobs.Teardown, data, {
        jobId: jobIds.swarmTeardown(data.swarmId),
        attempts: 10,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } catch (error) {
      this.logger.error({ err: error, swarmId: data.swarmId }, 'could not schedule swarm teardown');
      throw new ServiceUnavailableException(
        `swarm ${data.swarmId} is terminated but its teardown could not be scheduled; repeat the DELETE to retry`,
      );
    }
  }
}

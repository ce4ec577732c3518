import { Injectable, Logger } from '@nestjs/common';
import { Prisma, PrismaService, TaskTransitions } from '@swarm/db';
import { TaskDispatchStore } from '@swarm/messaging';
import { ReplicaRebinding, TaskEffects, TaskSettlement } from '@swarm/task-engine';

/**
 * The hand-back: when an agent is declared failed, the attempts it holds fail ("agent lost")
 * and their tasks go straight back to the queue — no backoff, the fault was the agent's —
 * or fail for good when out of attempts. Tasks only planned for it return to the ready queues.
 */
@Injectable()
export class InFlightWork {
  private readonly logger = new Logger(InFlightWork.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
    private readonly dispatch: TaskDispatchStore,
    private readonly replicas: ReplicaRebinding,
  ) {}

  /** Inside the transaction that marks the agent failed; call `apply` after it commits. */
  async release(tx: Prisma.TransactionClient, agentId: string, reason: string, effects: TaskEffects): Promise<number> {
    const held = await this.transitions.lockInFlight(tx, { agentId });
    await this.settlement.failAttempts(
      tx,
      held.map((task) => ({ task, error: `agent lost: ${reason}`, retryable: true, kind: 'failed' as const, immediate: true })),
      effects,
    );
    const swarmIds = (await tx.swarmMembership.findMany({ where: { agentId, status: 'active' }, select: { swarmId: true } })).map((m) => m.swarmId);
    await this.replicas.rebind(tx, agentId, swarmIds, effects);
    return held.length;
  }

  async apply(agentId: string, effects: TaskEffects): Promise<void> {
    await this.settlement.apply(effects);
    const swarmIds = (await this.prisma.swarmMembership.findMany({ where: { agentId }, select: { swarmId: true } })).map((m) => m.swarmId);
    const returned = await this.dispatch.returnBacklogs(agentId, swarmIds);
    if (returned > 0 || effects.queue.length > 0) {
      this.logger.warn({ agentId, requeued: effects.queue.length, returnedFromBacklog: returned }, 'work of a lost agent handed back');
    }
  }
}

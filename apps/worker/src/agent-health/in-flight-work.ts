import { Injectable, Logger } from '@nestjs/common';
import { Prisma, PrismaService } from '@swarm/db';
import { TaskDispatchStore } from '@swarm/messaging';
import { AgentWorkHandback, TaskEffects, TaskSettlement } from '@swarm/task-engine';

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
    private readonly settlement: TaskSettlement,
    private readonly dispatch: TaskDispatchStore,
    private readonly handback: AgentWorkHandback,
  ) {}

  /** Inside the transaction that marks the agent failed; call `apply` after it commits. */
  async release(tx: Prisma.TransactionClient, agentId: string, reason: string, effects: TaskEffects): Promise<number> {
    // Every swarm it serves, including ones it holds attempts in but has since left.
    const swarmIds = (await tx.swarmMembership.findMany({ where: { agentId }, select: { swarmId: true } })).map((m) => m.swarmId);
    return this.handback.release(tx, agentId, swarmIds, reason, effects, false);
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

import { Injectable } from '@nestjs/common';
import { Prisma } from '@swarm/db';

const IN_FLIGHT = ['assigned', 'running'] as const;

/**
 * The hand-back hook: when an agent is declared failed, the tasks it holds go back to pending
 * (their attempts marked failed), so the distributor can give them to another agent.
 */
@Injectable()
export class InFlightWork {
  async release(tx: Prisma.TransactionClient, agentId: string, reason: string): Promise<number> {
    const now = new Date();
    const tasks = await tx.task.findMany({
      where: { assignedAgentId: agentId, status: { in: [...IN_FLIGHT] } },
      select: { id: true },
    });
    if (tasks.length === 0) return 0;
    const ids = tasks.map((t) => t.id);
    await tx.taskAttempt.updateMany({
      where: { taskId: { in: ids }, agentId, status: { in: [...IN_FLIGHT] } },
      data: { status: 'failed', error: reason, finishedAt: now },
    });
    const released = await tx.task.updateMany({
      where: { id: { in: ids }, assignedAgentId: agentId, status: { in: [...IN_FLIGHT] } },
      data: { status: 'pending', assignedAgentId: null, waitReason: `handed back: ${reason}` },
    });
    return released.count;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { PrismaService, TaskTransitions } from '@swarm/db';
import { TaskEffects, TaskSettlement } from '@swarm/task-engine';

const BATCH = 500;

/**
 * Fails attempts whose deadline passed: not acknowledged in time (the assignment was probably
 * lost), or running longer than the task's timeout_ms. The agent is told to cancel; the task
 * is retried with backoff or ends timed_out.
 */
@Injectable()
export class AttemptExpiry {
  private readonly logger = new Logger(AttemptExpiry.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
  ) {}

  async expireDue(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const effects = new TaskEffects();
      const expired = await this.prisma.$transaction(async (tx) => {
        const due = await this.transitions.lockInFlight(tx, { expiredBefore: now, limit: BATCH });
        await this.settlement.failAttempts(
          tx,
          due.map((task) => ({
            task,
            kind: 'timed_out' as const,
            retryable: true,
            error: task.status === 'assigned' ? 'not acknowledged by the agent in time' : `timed out after ${task.timeoutMs} ms`,
          })),
          effects,
        );
        for (const task of due) {
          if (task.agentId) effects.cancelNotices.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken, reason: 'attempt timed out' });
        }
        return due.length;
      });
      await this.settlement.apply(effects);
      total += expired;
      if (expired < BATCH) break;
    }
    if (total > 0) this.logger.warn({ attempts: total }, 'attempts expired');
    return total;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { PrismaService, TaskTransitions } from '@swarm/db';
import { TaskReportStream } from '@swarm/messaging';
import { TaskEffects, TaskSettlement } from '@swarm/task-engine';

const BATCH = 500;
/** A report not applied for this long (a stuck entry) stops holding deadlines back. */
const MAX_REPORT_WAIT_MS = 60_000;

/**
 * Fails attempts whose deadline passed: not acknowledged in time (the assignment was probably
 * lost), or running longer than the task's timeout_ms. The agent is told to cancel; the task
 * is retried with backoff or ends timed_out.
 *
 * Deadlines are judged against the reports applied so far, not the clock alone: an attempt
 * expires only when its deadline is older than the oldest report still waiting in the report
 * stream. An ack or result the gateway accepted in time therefore wins over the deadline even
 * when the worker applies it late — after a worker crash (a new worker used to time out every
 * attempt whose ack deadline passed during the outage before reading the acks and results the
 * agents had sent meanwhile, and the finished work was done again) or with a report processor
 * that has fallen behind (which would otherwise turn a backlog into a wave of retries).
 */
@Injectable()
export class AttemptExpiry {
  private readonly logger = new Logger(AttemptExpiry.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
    private readonly reports: TaskReportStream,
  ) {}

  async expireDue(now = new Date()): Promise<number> {
    const waiting = await this.reports.oldestUnappliedAt();
    if (waiting !== null && waiting < now.getTime()) now = new Date(Math.max(waiting, now.getTime() - MAX_REPORT_WAIT_MS));
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

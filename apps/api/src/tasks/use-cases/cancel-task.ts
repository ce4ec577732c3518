import { Injectable } from '@nestjs/common';
import { PrismaService, TaskRepository, TaskTransitions, TaskWithAttempts } from '@swarm/db';
import { Conflict, NotFound } from '@swarm/domain';
import { TaskEffects, TaskSettlement } from '@swarm/task-engine';
import type { Actor } from '../../auth/auth.decorators';

export interface CancelTaskCommand {
  actor: Actor;
  swarmId: string;
  taskId: string;
  reason?: string;
}

/**
 * Cancels a task that has not finished: its agent (if any) is told to stop, and its dependants
 * are settled — a `success` dependant fails, a `completion` one may run.
 */
@Injectable()
export class CancelTask {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tasks: TaskRepository,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
  ) {}

  async execute(command: CancelTaskCommand): Promise<TaskWithAttempts> {
    const ownerId = command.actor.principal.ownerId;
    const existing = await this.tasks.findForOwner(ownerId, command.swarmId, command.taskId);
    if (!existing) throw new NotFound('task', command.taskId);
    const reason = command.reason ?? 'cancelled by the user';
    const effects = new TaskEffects();
    await this.prisma.$transaction(async (tx) => {
      const cancelled = await this.transitions.cancel(tx, ownerId, [command.taskId], reason);
      if (cancelled.length === 0) {
        const current = await this.tasks.findForOwner(ownerId, command.swarmId, command.taskId);
        throw new Conflict(`task ${command.taskId} is already ${current?.status ?? 'gone'} and cannot be cancelled`);
      }
      for (const task of cancelled) {
        // The agent running it hears about it; its slot frees now, not when it answers.
        if (task.agentId && task.fencingToken !== null) {
          effects.cancelNotices.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken, reason });
          effects.releaseInFlight.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken });
        }
      }
      await this.settlement.finish(tx, cancelled, effects);
    });
    await this.settlement.apply(effects);
    return (await this.tasks.findForOwner(ownerId, command.swarmId, command.taskId))!;
  }
}

import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { TaskStatus } from '@swarm/domain';
import { countStatuses, ExecutionCounts, executionStatus, ExecutionStatus, NetworkExecution, NetworkRecords } from './network-records';

export interface ExecutionSubtask {
  part: number;
  task_id: string;
  status: TaskStatus;
  result: unknown;
  error: string | null;
}

export interface ExecutionState {
  execution: NetworkExecution;
  status: ExecutionStatus;
  counts: ExecutionCounts;
  subtasks: ExecutionSubtask[];
  completedAt: Date | null;
}

/** An execution as its subtasks are now, read from the tasks of the backing swarm. */
@Injectable()
export class GetExecution {
  constructor(
    private readonly prisma: PrismaService,
    private readonly records: NetworkRecords,
  ) {}

  async execute(ownerId: string, networkId: string, executionId: string): Promise<ExecutionState> {
    await this.records.load(ownerId, networkId);
    return this.stateOf(ownerId, await this.records.findExecution(networkId, executionId));
  }

  async stateOf(ownerId: string, execution: NetworkExecution): Promise<ExecutionState> {
    const rows = await this.prisma.task.findMany({
      where: { ownerId, id: { in: execution.taskIds } },
      select: { id: true, status: true, result: true, error: true, completedAt: true },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const subtasks = execution.taskIds.flatMap((taskId, i) => {
      const row = byId.get(taskId);
      return row ? [{ part: i + 1, task_id: taskId, status: row.status, result: row.result ?? null, error: row.error }] : [];
    });
    const counts = countStatuses(subtasks.map((s) => s.status));
    const status = executionStatus(counts);
    const finishedAt = rows.map((r) => r.completedAt?.getTime() ?? 0);
    const completedAt = ['completed', 'failed', 'cancelled'].includes(status) && rows.length > 0 ? new Date(Math.max(...finishedAt)) : null;
    return { execution, status, counts, subtasks, completedAt };
  }
}

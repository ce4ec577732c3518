import { Injectable } from '@nestjs/common';
import { TASK_TYPE_PATTERN } from '@swarm/contracts';
import { Prisma, PrismaService } from '@swarm/db';
import { Conflict, ValidationFailed } from '@swarm/domain';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { SubmitTasks } from '../../tasks/use-cases/submit-tasks';
import { ExecutionPriority } from '../network.dto';
import { LoadedNetwork, NetworkExecution, NetworkRecords } from './network-records';

export const PRIORITY_OF: Record<ExecutionPriority, number> = { low: 2, normal: 5, high: 8 };
export const DEFAULT_EXECUTION_TASK_TYPE = 'network.execute';
/** The keys whose array is split into one subtask per element, looked up in this order. */
export const SPLIT_KEYS = ['items', 'inputs', 'subtasks'] as const;
const MAX_SUBTASKS = 1000;

export interface ExecuteNetworkCommand {
  actor: Actor;
  networkId: string;
  task: unknown;
  priority: ExecutionPriority;
}

/** Each subtask's payload, told which part of the whole it is (1-based). */
export function splitTask(task: unknown, agentCount: number, ids: { networkId: string; executionId: string }): object[] {
  const base = { network_id: ids.networkId, execution_id: ids.executionId };
  if (isRecord(task)) {
    const key = SPLIT_KEYS.find((k) => Array.isArray(task[k]) && (task[k] as unknown[]).length > 0);
    if (key) {
      const items = task[key] as unknown[];
      if (items.length > MAX_SUBTASKS) throw new ValidationFailed(`task.${key} has ${items.length} elements; a run takes at most ${MAX_SUBTASKS}`);
      const { [key]: _split, ...context } = task;
      return items.map((item, i) => ({ ...base, part: i + 1, parts: items.length, split_on: key, item, context }));
    }
  }
  return Array.from({ length: agentCount }, (_, i) => ({ ...base, part: i + 1, parts: agentCount, task }));
}

export function taskTypeOf(task: unknown): string {
  if (!isRecord(task) || task.type === undefined) return DEFAULT_EXECUTION_TASK_TYPE;
  if (typeof task.type !== 'string' || !TASK_TYPE_PATTERN.test(task.type)) {
    throw new ValidationFailed('task.type, when given, is the task type: 1-100 letters, digits or _.:/- starting with a letter or digit');
  }
  return task.type;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs one task over a network: split into subtasks of the backing swarm (submitted together,
 * distributed by the swarm's algorithm), recorded as an execution whose state is read back
 * from those tasks.
 */
@Injectable()
export class ExecuteNetwork {
  constructor(
    private readonly prisma: PrismaService,
    private readonly records: NetworkRecords,
    private readonly submit: SubmitTasks,
  ) {}

  async execute(command: ExecuteNetworkCommand): Promise<{ loaded: LoadedNetwork; execution: NetworkExecution }> {
    const ownerId = command.actor.principal.ownerId;
    const loaded = await this.records.load(ownerId, command.networkId);
    if (loaded.members.length === 0) throw new Conflict(`network ${command.networkId} has no agents left to run the task`);
    const taskType = taskTypeOf(command.task);
    const executionId = uuidv7();
    const payloads = splitTask(command.task, loaded.members.length, { networkId: loaded.network.id, executionId });
    const priority = PRIORITY_OF[command.priority];
    const { tasks } = await this.submit.execute({
      actor: command.actor,
      swarmId: loaded.swarm.id,
      tasks: payloads.map((payload) => ({ task_type: taskType, payload, priority })),
    });
    const execution = await this.prisma.networkExecution.create({
      data: { id: executionId, networkId: loaded.network.id, task: command.task as Prisma.InputJsonValue, priority, taskIds: tasks.map((t) => t.id) },
    });
    return { loaded, execution };
  }
}

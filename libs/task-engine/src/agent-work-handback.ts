import { Injectable } from '@nestjs/common';
import { RawSql, TaskTransitions } from '@swarm/db';
import { ReplicaRebinding } from './replica-rebinding';
import { TaskEffects, TaskSettlement } from './task-settlement';

/**
 * An agent stops serving some swarms (it failed, or it was removed): the attempts it holds
 * there go straight back to the queue (no backoff, the fault was not the task's) or fail for
 * good when out of attempts, and subtasks pinned to it move on. Used by the worker's health
 * monitor and by the api's member removal, in their own transactions; apply `effects` after
 * the commit, then return the agent's backlogs.
 */
@Injectable()
export class AgentWorkHandback {
  constructor(
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
    private readonly replicas: ReplicaRebinding,
  ) {}

  /** `swarmIds`: the swarms it leaves; `tellAgent`: it is still connected and should drop the work. */
  async release(tx: RawSql, agentId: string, swarmIds: string[], reason: string, effects: TaskEffects, tellAgent: boolean): Promise<number> {
    const leaving = new Set(swarmIds);
    const held = (await this.transitions.lockInFlight(tx, { agentId })).filter((task) => leaving.has(task.swarmId));
    await this.settlement.failAttempts(tx, held.map((task) => ({ task, error: `agent lost: ${reason}`, retryable: true, kind: 'failed' as const, immediate: true })), effects);
    if (tellAgent) for (const task of held) effects.cancelNotices.push({ agentId, taskId: task.id, fencingToken: task.fencingToken, reason });
    await this.replicas.rebind(tx, agentId, swarmIds, effects);
    return held.length;
  }
}

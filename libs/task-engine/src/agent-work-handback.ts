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
    return (await this.releaseMany(tx, [agentId], swarmIds, () => reason, effects, tellAgent)).get(agentId) ?? 0;
  }

  /**
   * Several agents leaving the same swarms at once (a whole swarm's members): a fixed number of
   * statements for all of them, plus the subtask moves of those that had pinned subtasks.
   * Returns how many attempts each handed back.
   */
  async releaseMany(tx: RawSql, agentIds: string[], swarmIds: string[], reasonOf: (agentId: string) => string, effects: TaskEffects, tellAgent: boolean): Promise<Map<string, number>> {
    const leaving = new Set(swarmIds);
    const held = (await this.transitions.lockInFlight(tx, { agentIds })).filter((task) => leaving.has(task.swarmId));
    await this.settlement.failAttempts(tx, held.map((task) => ({ task, error: `agent lost: ${reasonOf(task.agentId!)}`, retryable: true, kind: 'failed' as const, immediate: true })), effects);
    const counts = new Map(agentIds.map((id) => [id, 0]));
    for (const task of held) {
      counts.set(task.agentId!, (counts.get(task.agentId!) ?? 0) + 1);
      if (tellAgent) effects.cancelNotices.push({ agentId: task.agentId!, taskId: task.id, fencingToken: task.fencingToken, reason: reasonOf(task.agentId!) });
    }
    // Re-queued above when they were in flight: their pins are seen by this same transaction.
    for (const agentId of await this.transitions.agentsWithPinnedWaitingWork(tx, agentIds, swarmIds)) await this.replicas.rebind(tx, agentId, swarmIds, effects);
    return counts;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { FamilyStep, FinishedTask, QueueableTask, RawSql, TaskTransitions } from '@swarm/db';
import {
  agentCapability,
  decideVerification,
  handOverLeadership,
  LeaderVerificationSpec,
  nextLeader,
  normaliseCapabilities,
  verdictOf,
  VERIFY_TASK_SUFFIX,
} from '@swarm/domain';
import { v7 as uuidv7 } from 'uuid';
import type { TaskEffects } from './task-settlement';
import { repinWaitingTask } from './waiting-task-repin';

const FINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

/** What a verifier's task carries: the task itself and the leader's answer to check. */
export interface VerificationPayload {
  task: unknown;
  leader: { agent_id: string; task_id: string; result: unknown };
}

/**
 * Leader-elected tasks, step by step: the leader's run finishing starts one verification per
 * verifier (or, if it failed, hands leadership to the next ranked verifier); verdicts decide
 * the parent. Runs inside the settlement transaction, with the parent row locked.
 */
@Injectable()
export class LeaderVerificationFlow {
  private readonly logger = new Logger(LeaderVerificationFlow.name);

  constructor(private readonly transitions: TaskTransitions) {}

  /** `steps`: leader-elected parents (locked) of children that just became final, one row per child. */
  async advance(tx: RawSql, steps: FamilyStep[], effects: TaskEffects): Promise<FinishedTask[]> {
    const made: FinishedTask[] = [];
    // Rows come one per finished child; children of one parent share (and update) one spec.
    const byParent = new Map<string, { step: FamilyStep; children: FamilyStep[] }>();
    for (const row of steps) {
      const entry = byParent.get(row.id) ?? { step: row, children: [] };
      entry.children.push(row);
      byParent.set(row.id, entry);
    }
    for (const { step, children } of byParent.values()) {
      const spec = step.spec as LeaderVerificationSpec;
      let finished: FinishedTask | null = null;
      for (const child of children) {
        finished = child.childId === spec.leader_task_id ? await this.leaderFinished(tx, step, child, spec, effects) : await this.verifierFinished(tx, step, child, spec);
        if (finished) break;
      }
      if (finished) made.push(finished);
      else await this.transitions.updateFamilySpec(tx, step.id, 'verification', spec);
    }
    return made;
  }

  private async leaderFinished(tx: RawSql, step: FamilyStep, child: FamilyStep, spec: LeaderVerificationSpec, effects: TaskEffects): Promise<FinishedTask | null> {
    const live = new Set(await this.transitions.liveCapableMembers(tx, step.swarmId, step.requiredCapabilities));
    if (child.childStatus !== 'completed') {
      const reason = `leader ${spec.leader} ${child.childStatus.replace('_', ' ')}${child.childError ? `: ${child.childError}` : ''}`;
      const next = nextLeader(spec, (id) => live.has(id));
      if (next === null || spec.verifiers.length < 2) return this.fail(tx, step, spec, `${reason}; no other collaborator is left to lead and be verified`);
      const taskId = uuidv7();
      handOverLeadership(spec, next, taskId, reason);
      this.queue(effects, await this.transitions.insertChildTask(tx, step, { id: taskId, payload: step.payload, requiredCapabilities: this.pinned(step, next) }));
      this.logger.log({ taskId: step.id, from: spec.former_leaders.at(-1)?.agent_id, to: next }, 'leader failed; the next ranked collaborator leads');
      return null;
    }
    // Verifiers lost while the leader worked are replaced by other live members, if any.
    const family = new Set([...spec.collaborators, ...spec.former_leaders.map((f) => f.agent_id)]);
    const spare = [...live].filter((id) => !family.has(id)).sort();
    spec.verifiers = spec.verifiers.flatMap((v) => {
      if (live.has(v.agent_id)) return [v];
      const substitute = spare.shift();
      if (!substitute) return [];
      spec.collaborators.push(substitute);
      return [{ ...v, agent_id: substitute }];
    });
    if (spec.verifiers.length === 0) return this.fail(tx, step, spec, `no live collaborator is left to verify the result of leader ${spec.leader}`);
    const payload: VerificationPayload = { task: step.payload, leader: { agent_id: spec.leader, task_id: child.childId, result: child.childResult ?? null } };
    for (const verifier of spec.verifiers) {
      const taskId = uuidv7();
      const queued = await this.transitions.insertChildTask(tx, step, {
        id: taskId,
        taskType: `${step.taskType}${VERIFY_TASK_SUFFIX}`,
        payload,
        requiredCapabilities: this.pinned(step, verifier.agent_id),
      });
      Object.assign(verifier, { task_id: taskId, status: 'queued', verdict: null, reason: null });
      this.queue(effects, queued);
    }
    return null;
  }

  private async verifierFinished(tx: RawSql, step: FamilyStep, child: FamilyStep, spec: LeaderVerificationSpec): Promise<FinishedTask | null> {
    const verifier = spec.verifiers.find((v) => v.task_id === child.childId);
    if (!verifier || FINAL.has(verifier.status)) return null;
    verifier.status = child.childStatus;
    let leaderResult: unknown = null;
    if (child.childStatus === 'completed') {
      leaderResult = await this.transitions.resultOf(tx, spec.leader_task_id);
      Object.assign(verifier, verdictOf(leaderResult, child.childResult));
    } else verifier.reason = child.childError ?? `verification ${child.childStatus.replace('_', ' ')}`;
    const decision = decideVerification(spec);
    if (decision.state === 'pending') return null;
    if (decision.state === 'failed') return this.fail(tx, step, spec, decision.error);
    if (child.childStatus !== 'completed') leaderResult = await this.transitions.resultOf(tx, spec.leader_task_id);
    this.logger.log({ taskId: step.id, leader: spec.leader, approvals: decision.approvals, of: spec.verifiers.length }, "leader's result verified");
    return this.transitions.finishFamily(tx, step.id, 'verification', { status: 'completed', result: leaderResult, error: null, spec });
  }

  /**
   * In the transaction that declared an agent lost: a leader's run still waiting for it passes
   * to the next ranked live verifier; a verification waiting for it goes to another live member.
   */
  async rebind(tx: RawSql, lostAgentId: string, swarmIds: string[], effects: TaskEffects): Promise<number> {
    if (swarmIds.length === 0) return 0;
    const pin = agentCapability(lostAgentId);
    const waiting = await tx.$queryRaw<Array<{ id: string; swarm_id: string; task_type: string; priority: number; queued_at: Date; available_at: Date | null; parent_id: string; verification: LeaderVerificationSpec; parent_capabilities: string[] }>>`
      SELECT c.id, c.swarm_id, c.task_type, c.priority, c.queued_at, c.available_at, p.id AS parent_id, p.verification, p.required_capabilities AS parent_capabilities
      FROM tasks p JOIN tasks c ON c.parent_task_id = p.id
      WHERE p.swarm_id = ANY(${swarmIds}::uuid[]) AND p.status = 'running' AND p.verification IS NOT NULL
        AND c.status IN ('pending', 'queued') AND ${pin} = ANY(c.required_capabilities)
      ORDER BY p.id, c.id
      FOR UPDATE OF p, c`;
    let moved = 0;
    for (const task of waiting) {
      const spec = task.verification;
      const live = new Set(await this.transitions.liveCapableMembers(tx, task.swarm_id, task.parent_capabilities));
      live.delete(lostAgentId);
      let to: string | null = null;
      if (task.id === spec.leader_task_id) {
        to = spec.verifiers.length >= 2 ? nextLeader(spec, (id) => live.has(id)) : null;
        if (to) handOverLeadership(spec, to, task.id, `leader ${lostAgentId} was lost before it finished`);
      } else {
        const verifier = spec.verifiers.find((v) => v.task_id === task.id);
        const family = new Set([...spec.collaborators, ...spec.former_leaders.map((f) => f.agent_id)]);
        to = verifier ? ([...live].filter((id) => !family.has(id)).sort()[0] ?? null) : null;
        if (verifier && to) {
          verifier.agent_id = to;
          spec.collaborators.push(to);
        }
      }
      if (!to) {
        this.logger.warn({ taskId: task.id, lostAgentId }, 'no other live collaborator can take this leader-elected step; it waits for its agent');
        continue;
      }
      await repinWaitingTask(tx, task, normaliseCapabilities([...task.parent_capabilities, agentCapability(to)]), effects);
      await this.transitions.updateFamilySpec(tx, task.parent_id, 'verification', spec);
      moved++;
      this.logger.log({ taskId: task.id, parentId: task.parent_id, from: lostAgentId, to }, 'leader-elected step moved off a lost agent');
    }
    return moved;
  }

  private pinned(step: FamilyStep, agentId: string): string[] {
    return normaliseCapabilities([...step.requiredCapabilities, agentCapability(agentId)]);
  }

  private queue(effects: TaskEffects, task: QueueableTask): void {
    effects.queue.push(task);
    effects.signal.add(task.swarmId);
  }

  private fail(tx: RawSql, step: FamilyStep, spec: LeaderVerificationSpec, error: string): Promise<FinishedTask | null> {
    this.logger.log({ taskId: step.id, error }, 'leader-elected task failed');
    return this.transitions.finishFamily(tx, step.id, 'verification', { status: 'failed', result: null, error, spec });
  }
}

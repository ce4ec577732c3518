import { Injectable, Logger } from '@nestjs/common';
import { Prisma, RawSql } from '@swarm/db';
import { agentCapability, chooseReplicaAgents, Conflict, nextPipelineAgent, normaliseCapabilities, PipelineSpec, RedundancySpec } from '@swarm/domain';
import { LeaderVerificationFlow } from './leader-verification-flow';
import { TaskEffects } from './task-settlement';
import { repinWaitingTask, requeueWithCapabilities } from './waiting-task-repin';

interface PinnedReplica {
  id: string;
  swarm_id: string;
  task_type: string;
  priority: number;
  required_capabilities: string[];
  queued_at: Date;
  available_at: Date | null;
  parent_id: string;
  redundancy: RedundancySpec;
}

/**
 * Subtasks pinned to an agent that is lost. A replica of a redundant task is pinned to one agent. When that agent is lost, its replicas
 * still waiting (queued again after the loss, or never started) move to another live agent of
 * the swarm that runs none of the task's replicas, so the vote still gets its n results.
 */
@Injectable()
export class ReplicaRebinding {
  private readonly logger = new Logger(ReplicaRebinding.name);

  constructor(private readonly verifications: LeaderVerificationFlow) {}

  /** In the transaction that declared the agent lost, after its attempts were handed back. */
  async rebind(tx: RawSql, lostAgentId: string, swarmIds: string[], effects: TaskEffects): Promise<number> {
    if (swarmIds.length === 0) return 0;
    const pin = agentCapability(lostAgentId);
    const replicas = await tx.$queryRaw<PinnedReplica[]>`
      SELECT c.id, c.swarm_id, c.task_type, c.priority, c.required_capabilities, c.queued_at, c.available_at, p.id AS parent_id, p.redundancy
      FROM tasks p JOIN tasks c ON c.parent_task_id = p.id
      WHERE p.swarm_id = ANY(${swarmIds}::uuid[]) AND p.status = 'running' AND p.redundancy IS NOT NULL
        AND c.status IN ('pending', 'queued') AND ${pin} = ANY(c.required_capabilities)
      ORDER BY p.id, c.id
      FOR UPDATE OF p, c`;
    let moved = 0;
    for (const replica of replicas) {
      const required = replica.required_capabilities.filter((c) => c !== pin);
      const taken = new Set(replica.redundancy.agents);
      const candidates = (await this.liveMembers(tx, replica.swarm_id)).filter((c) => c.agentId !== lostAgentId && !taken.has(c.agentId));
      let chosen: string;
      try {
        [chosen] = chooseReplicaAgents(candidates, required, 1);
      } catch (error) {
        if (!(error instanceof Conflict)) throw error;
        this.logger.warn({ taskId: replica.id, lostAgentId }, 'no other live agent can take this replica; it waits for its agent');
        continue;
      }
      const capabilities = normaliseCapabilities([...required, agentCapability(chosen)]);
      const agents = replica.redundancy.agents.map((id) => (id === lostAgentId ? chosen : id));
      await repinWaitingTask(tx, replica, capabilities, effects);
      await tx.$executeRaw`UPDATE tasks SET redundancy = jsonb_set(redundancy, '{agents}', ${JSON.stringify(agents)}::jsonb), updated_at = clock_timestamp() WHERE id = ${replica.parent_id}::uuid`;
      replica.redundancy.agents = agents;
      moved++;
      this.logger.log({ taskId: replica.id, parentId: replica.parent_id, from: lostAgentId, to: chosen }, 'replica moved to another agent');
    }
    return (
      moved +
      (await this.unpinDelegated(tx, pin, swarmIds, effects)) +
      (await this.repinPipelineStages(tx, lostAgentId, swarmIds, effects)) +
      (await this.verifications.rebind(tx, lostAgentId, swarmIds, effects))
    );
  }

  /** A ring pipeline's waiting stage skips the lost member: the next live one round the ring takes it. */
  private async repinPipelineStages(tx: RawSql, lostAgentId: string, swarmIds: string[], effects: TaskEffects): Promise<number> {
    const pin = agentCapability(lostAgentId);
    const stages = await tx.$queryRaw<Array<Omit<PinnedReplica, 'redundancy'> & { pipeline: PipelineSpec; parent_capabilities: string[] }>>`
      SELECT c.id, c.swarm_id, c.task_type, c.priority, c.required_capabilities, c.queued_at, c.available_at, p.id AS parent_id, p.pipeline,
             p.required_capabilities AS parent_capabilities
      FROM tasks p JOIN tasks c ON c.parent_task_id = p.id
      WHERE p.swarm_id = ANY(${swarmIds}::uuid[]) AND p.status = 'running' AND p.pipeline IS NOT NULL
        AND c.status IN ('pending', 'queued') AND ${pin} = ANY(c.required_capabilities)
      ORDER BY p.id
      FOR UPDATE OF p, c`;
    let moved = 0;
    for (const stage of stages) {
      const live = new Set((await this.liveMembers(tx, stage.swarm_id)).filter((m) => stage.parent_capabilities.every((c) => m.capabilities.includes(c))).map((m) => m.agentId));
      live.delete(lostAgentId);
      const current = stage.pipeline.stages.at(-1)!;
      // Counted as visited so the search starts after it, then given to whoever comes next.
      const next = nextPipelineAgent(stage.pipeline, (id) => live.has(id));
      if (next === null) continue;
      current.agent_id = next;
      const capabilities = normaliseCapabilities([...stage.parent_capabilities, agentCapability(next)]);
      await repinWaitingTask(tx, stage, capabilities, effects);
      await tx.$executeRaw`UPDATE tasks SET pipeline = ${JSON.stringify(stage.pipeline)}::jsonb, updated_at = clock_timestamp() WHERE id = ${stage.parent_id}::uuid`;
      moved++;
      this.logger.log({ taskId: stage.id, pipelineId: stage.parent_id, from: lostAgentId, to: next }, 'pipeline stage skipped a lost member');
    }
    return moved;
  }

  /** Delegated subtasks pinned to the lost agent: any capable agent of the swarm may finish them. */
  private async unpinDelegated(tx: RawSql, pin: string, swarmIds: string[], effects: TaskEffects): Promise<number> {
    const rows = await tx.$queryRaw<Array<Omit<PinnedReplica, 'parent_id' | 'redundancy'>>>`
      UPDATE tasks c SET required_capabilities = array_remove(c.required_capabilities, ${pin}), wait_reason = NULL, updated_at = clock_timestamp()
      FROM tasks p
      WHERE p.id = c.parent_task_id AND p.swarm_id = ANY(${swarmIds}::uuid[]) AND p.redundancy IS NULL AND p.pipeline IS NULL AND p.verification IS NULL AND p.status IN ('assigned', 'running')
        AND c.status IN ('pending', 'queued') AND ${pin} = ANY(c.required_capabilities)
      RETURNING c.id, c.swarm_id, c.task_type, c.priority, c.required_capabilities, c.queued_at, c.available_at`;
    for (const row of rows) requeueWithCapabilities(row, row.required_capabilities, effects);
    if (rows.length > 0) this.logger.log({ pin, subtasks: rows.length }, 'delegated subtasks of a lost agent unpinned');
    return rows.length;
  }

  private liveMembers(tx: RawSql, swarmId: string) {
    return tx.$queryRaw<Array<{ agentId: string; capabilities: string[]; load: number }>>(Prisma.sql`
      SELECT a.id AS "agentId", a.capabilities,
        (SELECT count(*)::int FROM tasks t WHERE t.assigned_agent_id = a.id AND t.status IN ('assigned', 'running')) AS load
      FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
      WHERE m.swarm_id = ${swarmId}::uuid AND m.status = 'active' AND a.status IN ('idle', 'busy') AND a.max_concurrency > 0`);
  }
}

import { Injectable } from '@nestjs/common';
import type { AgentStatsView } from '@swarm/contracts';
import { SwarmRepository, TaskMetricsRepository } from '@swarm/db';
import { NotFound } from '@swarm/domain';
import { presentAgentStats } from '../metrics.presenter';

/** An agent that is or was a member of the swarm: per task-type statistics and its in-flight tasks. */
@Injectable()
export class GetAgentStats {
  constructor(
    private readonly swarms: SwarmRepository,
    private readonly metrics: TaskMetricsRepository,
  ) {}

  async execute(ownerId: string, swarmId: string, agentId: string): Promise<AgentStatsView> {
    if (!(await this.swarms.findForOwner(ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const record = await this.metrics.agentStats(ownerId, swarmId, agentId);
    if (!record) throw new NotFound('agent', `${agentId} in swarm ${swarmId}`);
    return presentAgentStats(swarmId, record);
  }
}

import { Injectable } from '@nestjs/common';
import { AgentRepository, MemberFilter, MemberAgent, Page, SwarmRepository } from '@swarm/db';
import { NotFound } from '@swarm/domain';

export const DEFAULT_AGENT_PAGE_SIZE = 50;

@Injectable()
export class ListSwarmAgents {
  constructor(
    private readonly swarms: SwarmRepository,
    private readonly agents: AgentRepository,
  ) {}

  async execute(ownerId: string, swarmId: string, filter: MemberFilter, limit = DEFAULT_AGENT_PAGE_SIZE, cursor?: string) {
    const swarm = await this.swarms.findForOwner(ownerId, swarmId);
    if (!swarm) throw new NotFound('swarm', swarmId);
    const page: Page<MemberAgent> = await this.agents.listMembers(ownerId, swarmId, filter, { limit, cursor });
    return { page, leaderAgentId: swarm.leaderAgentId };
  }
}

@Injectable()
export class GetSwarmAgent {
  constructor(
    private readonly swarms: SwarmRepository,
    private readonly agents: AgentRepository,
  ) {}

  async execute(ownerId: string, swarmId: string, agentId: string) {
    const swarm = await this.swarms.findForOwner(ownerId, swarmId);
    if (!swarm) throw new NotFound('swarm', swarmId);
    const member = await this.agents.findMember(ownerId, swarmId, agentId);
    if (!member) throw new NotFound('agent', `${agentId} in swarm ${swarmId}`);
    return { member, leaderAgentId: swarm.leaderAgentId };
  }
}

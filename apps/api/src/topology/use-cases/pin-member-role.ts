import { Injectable } from '@nestjs/common';
import { AgentRepository, HistoryRepository, PrismaService, SwarmRepository } from '@swarm/db';
import { AgentRole, assertSwarmMutable, NotFound } from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';
import { SwarmTopologySync, TopologyAnnouncer } from '@swarm/topology';
import type { Actor } from '../../auth/auth.decorators';

/**
 * Pins a member's role (the topology keeps it instead of assigning one) or, with null, hands
 * the choice back. A pinned coordinator becomes the leader while it is live.
 */
@Injectable()
export class PinMemberRole {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly agents: AgentRepository,
    private readonly history: HistoryRepository,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
    private readonly dispatch: TaskDispatchStore,
  ) {}

  async execute(actor: Actor, swarmId: string, agentId: string, role: AgentRole | null): Promise<void> {
    const ownerId = actor.principal.ownerId;
    const transition = await this.prisma.$transaction(async (tx) => {
      if (!(await this.swarms.lockForOwner(tx, ownerId, swarmId))) throw new NotFound('swarm', swarmId);
      const swarm = (await this.swarms.findForOwner(ownerId, swarmId, tx))!;
      assertSwarmMutable(swarm.id, swarm.status);
      const member = await this.agents.findMember(ownerId, swarmId, agentId, tx);
      if (!member || member.status !== 'active') throw new NotFound('agent', `${agentId} in swarm ${swarmId}`);
      await tx.swarmMembership.update({ where: { id: member.id }, data: { pinnedRole: role } });
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: actor.principal.keyId,
        action: role === null ? 'swarm.agent.role.unpin' : 'swarm.agent.role.pin',
        resourceType: 'swarm',
        resourceId: swarmId,
        details: { agent_id: agentId, role },
        requestId: actor.requestId,
      });
      return this.topology.apply(tx, swarm, 'role_updated');
    });
    await this.announcer.announce(swarmId, transition);
    // Even when nobody moved, the pin itself is news to cached layouts.
    await this.dispatch.rosterChanged([swarmId]);
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { AgentRepository, HistoryRepository, PrismaService, SwarmEvent, SwarmRepository } from '@swarm/db';
import { AgentWorkHandback, TaskEffects, TaskSettlement } from '@swarm/task-engine';
import { SwarmTopologySync, TopologyAnnouncer } from '@swarm/topology';
import { AgentEventType, NotFound } from '@swarm/domain';
import { AgentSocketCommands, SwarmEventBroadcaster, TaskDispatchStore } from '@swarm/messaging';
import type { Actor } from '../../auth/auth.decorators';

/**
 * Ends an agent's membership of a swarm (history kept); its work there is handed back. The agent is told to leave the swarm;
 * if it serves no other swarm it is told to stop, marked stopped and disconnected.
 */
@Injectable()
export class RemoveSwarmAgent {
  private readonly logger = new Logger(RemoveSwarmAgent.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly agents: AgentRepository,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly sockets: AgentSocketCommands,
    private readonly swarms: SwarmRepository,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
    private readonly handback: AgentWorkHandback,
    private readonly settlement: TaskSettlement,
    private readonly dispatch: TaskDispatchStore,
  ) {}

  async execute(actor: Actor, swarmId: string, agentId: string): Promise<void> {
    const ownerId = actor.principal.ownerId;
    const events: SwarmEvent[] = [];
    const effects = new TaskEffects();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const member = await this.agents.findMember(ownerId, swarmId, agentId, tx);
      if (!member || member.status !== 'active') throw new NotFound('agent', `${agentId} in swarm ${swarmId}`);
      await this.swarms.lockForOwner(tx, ownerId, swarmId);
      const swarm = (await this.swarms.findForOwner(ownerId, swarmId, tx))!;
      const now = new Date();
      await tx.swarmMembership.update({ where: { id: member.id }, data: { status: 'left', leftAt: now } });
      const wasLeader = swarm.leaderAgentId === agentId;
      // Its attempts in this swarm go back to the queue at once (no backoff: the task did nothing
      // wrong), and it is told to drop them; its late reports are refused as superseded.
      const handedBack = await this.handback.release(tx, agentId, [swarmId], `agent ${agentId} was removed from swarm ${swarmId}`, effects, true);
      const remaining = await this.agents.activeSwarmIds(agentId, tx);
      const stopAgent = remaining.length === 0;
      if (stopAgent) {
        await tx.agent.update({ where: { id: agentId }, data: { status: 'stopped', statusChangedAt: now, stoppedAt: now } });
      }
      events.push(
        await this.history.appendSwarmEvent(tx, {
          swarmId,
          ownerId,
          type: AgentEventType.Left,
          agentId,
          data: { reason: 'removed', was_leader: wasLeader, agent_stopped: stopAgent },
        }),
      );
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: actor.principal.keyId,
        action: 'swarm.agent.remove',
        resourceType: 'swarm',
        resourceId: swarmId,
        details: { agent_id: agentId },
        requestId: actor.requestId,
      });
      // Elects a successor at once when the leader left, and re-links the others around the gap.
      const topology = await this.topology.apply(tx, swarm, 'member_left');
      return { stopAgent, topology, handedBack };
    });
    this.broadcaster.broadcast(events);
    await this.settlement.apply(effects);
    // Tasks only planned for it (its backlog) return to the swarm's ready queues.
    const returned = await this.dispatch.returnBacklogs(agentId, [swarmId]);
    await this.announcer.announce(swarmId, outcome.topology);
    if (outcome.stopAgent) {
      // Both go out on one Redis channel and one socket, in order: the agent reads why, then is cut.
      this.sockets.stop(agentId, { reason: 'removed from its last swarm' });
      this.sockets.disconnect(agentId);
    } else {
      this.sockets.stop(agentId, { reason: 'removed from swarm', swarm_id: swarmId });
    }
    this.logger.log({ swarmId, agentId, stopped: outcome.stopAgent, handedBack: outcome.handedBack, returnedFromBacklog: returned }, 'agent removed from swarm');
  }
}

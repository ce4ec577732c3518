import { Injectable, Logger } from '@nestjs/common';
import { AgentRepository, HistoryRepository, PrismaService, SwarmEvent, SwarmRepository } from '@swarm/db';
import { AgentWorkHandback, TaskEffects, TaskSettlement } from '@swarm/task-engine';
import { SwarmTopologySync, TopologyAnnouncer } from '@swarm/topology';
import { AgentEventType, NotFound } from '@swarm/domain';
import { AgentSocketCommands, SwarmEventBroadcaster, TaskDispatchStore } from '@swarm/messaging';
import type { Actor } from '../../auth/auth.decorators';
import type { BatchOutcome } from '../../common/keyed-batches';

export interface MemberRemoval {
  actor: Actor;
  agentId: string;
}

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
    const [outcome] = await this.executeMany(actor.principal.ownerId, swarmId, [{ actor, agentId }]);
    if ('error' in outcome) throw outcome.error;
  }

  /**
   * Several members of one swarm leave it in one transaction with one topology pass, so a batch
   * costs about one removal under the swarm's lock. Each gets its own outcome, in order: one
   * that is not an active member is refused, the others still leave.
   */
  async executeMany(ownerId: string, swarmId: string, removals: readonly MemberRemoval[]): Promise<BatchOutcome<void>[]> {
    const outcomes: BatchOutcome<void>[] = removals.map(() => ({ value: undefined }));
    const events: SwarmEvent[] = [];
    const effects = new TaskEffects();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const ids = [...new Set(removals.map((r) => r.agentId.toLowerCase()))];
      const found = await tx.swarmMembership.findMany({ where: { swarmId, agentId: { in: ids }, status: 'active', swarm: { ownerId } }, select: { id: true, agentId: true } });
      const membershipOf = new Map(found.map((m) => [m.agentId, m.id]));
      const leaving: Array<{ removal: MemberRemoval; agentId: string; membershipId: string }> = [];
      removals.forEach((removal, index) => {
        const agentId = removal.agentId.toLowerCase();
        const membershipId = membershipOf.get(agentId);
        if (membershipId === undefined) {
          outcomes[index] = { error: new NotFound('agent', `${removal.agentId} in swarm ${swarmId}`) };
          return;
        }
        membershipOf.delete(agentId);
        leaving.push({ removal, agentId, membershipId });
      });
      if (leaving.length === 0) return null;
      await this.swarms.lockForOwner(tx, ownerId, swarmId);
      const swarm = (await this.swarms.findForOwner(ownerId, swarmId, tx))!;
      const now = new Date();
      // Another removal may have ended some of them while this one waited for the lock.
      const ended = await tx.swarmMembership.updateManyAndReturn({
        where: { id: { in: leaving.map((l) => l.membershipId) }, status: 'active' },
        data: { status: 'left', leftAt: now },
        select: { id: true },
      });
      const endedIds = new Set(ended.map((m) => m.id));
      const left = leaving.filter((l) => {
        if (endedIds.has(l.membershipId)) return true;
        outcomes[removals.indexOf(l.removal)] = { error: new NotFound('agent', `${l.removal.agentId} in swarm ${swarmId}`) };
        return false;
      });
      if (left.length === 0) return null;

      const results: Array<{ agentId: string; stopAgent: boolean; handedBack: number }> = [];
      const stillServing = new Set(
        (await tx.swarmMembership.findMany({ where: { agentId: { in: left.map((l) => l.agentId) }, status: 'active' }, select: { agentId: true } })).map((m) => m.agentId),
      );
      // Their attempts in this swarm go back to the queue at once (no backoff: the tasks did
      // nothing wrong), and they are told to drop them; their late reports are refused as superseded.
      const handedBack = await this.handback.releaseMany(tx, left.map((l) => l.agentId), [swarmId], (agentId) => `agent ${agentId} was removed from swarm ${swarmId}`, effects, true);
      for (const { agentId } of left) results.push({ agentId, stopAgent: !stillServing.has(agentId), handedBack: handedBack.get(agentId) ?? 0 });
      const stopped = results.filter((r) => r.stopAgent).map((r) => r.agentId);
      if (stopped.length > 0) {
        await tx.agent.updateMany({ where: { id: { in: stopped } }, data: { status: 'stopped', statusChangedAt: now, stoppedAt: now } });
      }
      events.push(
        ...(await this.history.appendSwarmEvents(
          tx,
          results.map((r) => ({
            swarmId,
            ownerId,
            type: AgentEventType.Left,
            agentId: r.agentId,
            data: { reason: 'removed', was_leader: swarm.leaderAgentId === r.agentId, agent_stopped: r.stopAgent },
          })),
        )),
      );
      await this.history.auditMany(
        tx,
        left.map(({ removal, agentId }) => ({
          ownerId,
          actorKeyId: removal.actor.principal.keyId,
          action: 'swarm.agent.remove',
          resourceType: 'swarm',
          resourceId: swarmId,
          details: { agent_id: agentId },
          requestId: removal.actor.requestId,
        })),
      );
      // Elects a successor at once when the leader left, and re-links the others around the gap.
      const topology = await this.topology.apply(tx, swarm, 'member_left');
      return { results, topology };
    });
    if (!outcome) return outcomes;
    this.broadcaster.broadcast(events);
    await this.settlement.apply(effects);
    for (const { agentId, stopAgent, handedBack } of outcome.results) {
      // Tasks only planned for it (its backlog) return to the swarm's ready queues.
      const returned = await this.dispatch.returnBacklogs(agentId, [swarmId]);
      this.logger.log({ swarmId, agentId, stopped: stopAgent, handedBack, returnedFromBacklog: returned }, 'agent removed from swarm');
    }
    await this.announcer.announce(swarmId, outcome.topology);
    for (const { agentId, stopAgent } of outcome.results) {
      if (stopAgent) {
        // Both go out on one Redis channel and one socket, in order: the agent reads why, then is cut.
        this.sockets.stop(agentId, { reason: 'removed from its last swarm' });
        this.sockets.disconnect(agentId);
      } else {
        this.sockets.stop(agentId, { reason: 'removed from swarm', swarm_id: swarmId });
      }
    }
    return outcomes;
  }
}

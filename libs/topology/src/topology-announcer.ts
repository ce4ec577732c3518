import { Inject, Injectable, Logger } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import { AGENTS_NAMESPACE, AgentServerToClientEvents, socketRooms, SwarmTopologyPayload } from '@swarm/contracts';
import { TopologyLayout } from '@swarm/domain';
import { REDIS_KEYS, RedisKeys, RedisService, SwarmEventBroadcaster, TaskDispatchStore } from '@swarm/messaging';
import { TopologyTransitionResult } from './swarm-topology-sync';

export function topologyPayload(swarmId: string, layout: TopologyLayout, agentId: string): SwarmTopologyPayload | null {
  const node = layout.nodes.find((n) => n.agentId === agentId);
  if (!node) return null;
  return {
    swarm_id: swarmId,
    topology: layout.topology,
    role: node.role,
    leader_id: layout.leaderId,
    parent_id: node.parentId,
    neighbours: layout.topology === 'mesh' ? null : node.neighbours,
  };
}

/**
 * After a topology transition has committed: operators get its events, agents whose place
 * changed get `swarm.topology`, and distributors and message routing drop the roster they cached.
 */
@Injectable()
export class TopologyAnnouncer {
  private readonly logger = new Logger(TopologyAnnouncer.name);
  private readonly emitter: Emitter<AgentServerToClientEvents>;

  constructor(
    redis: RedisService,
    @Inject(REDIS_KEYS) keys: RedisKeys,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly dispatch: TaskDispatchStore,
  ) {
    this.emitter = new Emitter<AgentServerToClientEvents>(redis.client, { key: keys.socketIo }).of(AGENTS_NAMESPACE);
  }

  async announce(swarmId: string, transition: TopologyTransitionResult): Promise<void> {
    this.broadcaster.broadcast(transition.events);
    if (transition.events.length === 0 && transition.affectedAgents.length === 0) return;
    const byId = new Map(transition.layout.nodes.map((n) => [n.agentId, n]));
    for (const agentId of transition.affectedAgents) {
      if (!byId.has(agentId)) continue;
      try {
        this.emitter.to(socketRooms.agent(agentId)).emit('swarm.topology', topologyPayload(swarmId, transition.layout, agentId)!);
      } catch (error) {
        this.logger.warn({ err: error, agentId, swarmId }, 'could not tell an agent its topology');
      }
    }
    await this.dispatch.rosterChanged([swarmId]);
  }
}

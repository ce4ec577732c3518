import { Injectable } from '@nestjs/common';
import { AgentRepository, HistoryRepository, MemberAgent, PrismaService, SwarmEvent, SwarmRepository } from '@swarm/db';
import { AgentEventType, AgentRole, assertSwarmMutable, Conflict, NotFound, readStoredConfiguration, ValidationFailed } from '@swarm/domain';
import { SwarmEventBroadcaster } from '@swarm/messaging';
import { SwarmTopologySync, TopologyAnnouncer } from '@swarm/topology';
import type { Actor } from '../../auth/auth.decorators';
import { AgentFactory, NewAgentFields } from './create-agent';

export interface RegisterSwarmAgentCommand {
  actor: Actor;
  swarmId: string;
  agentId?: string;
  newAgent?: Partial<NewAgentFields>;
  role?: AgentRole;
  priority?: number;
}

export interface RegisteredMember {
  member: MemberAgent;
  leaderAgentId: string | null;
  /** Only for a newly created agent. */
  token?: string;
}

/**
 * Adds an agent to a swarm: a new one (created with a token) or one the owner already has.
 * Re-adding an agent that left reactivates its membership (history keeps the earlier join).
 */
@Injectable()
export class RegisterSwarmAgent {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly agents: AgentRepository,
    private readonly history: HistoryRepository,
    private readonly factory: AgentFactory,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
  ) {}

  async execute(command: RegisterSwarmAgentCommand): Promise<RegisteredMember> {
    const ownerId = command.actor.principal.ownerId;
    const newAgent = this.newAgentFields(command);
    const events: SwarmEvent[] = [];
    const result = await this.prisma.$transaction(async (tx) => {
      if (!(await this.swarms.lockForOwner(tx, ownerId, command.swarmId))) throw new NotFound('swarm', command.swarmId);
      const swarm = (await this.swarms.findForOwner(ownerId, command.swarmId, tx))!;
      assertSwarmMutable(swarm.id, swarm.status);

      if (!newAgent) {
        const existing = await this.agents.findForOwner(ownerId, command.agentId!, tx);
        if (!existing) throw new NotFound('agent', command.agentId!);
        const membership = await this.agents.findMember(ownerId, swarm.id, existing.id, tx);
        if (membership?.status === 'active') throw new Conflict(`agent ${existing.id} is already a member of swarm ${swarm.id}`);
      }
      const config = readStoredConfiguration(swarm.configuration);
      if ((await this.agents.countActiveMembers(swarm.id, tx)) >= config.max_agents) {
        throw new Conflict(`swarm ${swarm.id} already has max_agents (${config.max_agents}) agents`);
      }

      let token: string | undefined;
      let agentId = command.agentId;
      if (newAgent) {
        const created = await this.factory.create(tx, command.actor, newAgent);
        agentId = created.agent.id;
        token = created.token;
        events.push(await this.history.appendSwarmEvent(tx, { swarmId: swarm.id, ownerId, type: AgentEventType.Registered, agentId, data: { name: created.agent.name } }));
      }

      const member = await tx.swarmMembership.upsert({
        where: { swarmId_agentId: { swarmId: swarm.id, agentId: agentId! } },
        // A role given here is pinned; otherwise the topology assigns one just below.
        create: { swarmId: swarm.id, agentId: agentId!, role: command.role ?? 'worker', pinnedRole: command.role ?? null, priority: command.priority ?? 0 },
        update: {
          status: 'active',
          leftAt: null,
          joinedAt: new Date(),
          role: command.role ?? 'worker',
          pinnedRole: command.role ?? null,
          parentAgentId: null,
          priority: command.priority ?? 0,
        },
        include: { agent: true },
      });
      const topology = await this.topology.apply(tx, swarm, 'member_joined');
      const placed = topology.layout.nodes.find((n) => n.agentId === member.agentId);
      if (placed) Object.assign(member, { role: placed.role, parentAgentId: placed.parentId });
      events.push(
        await this.history.appendSwarmEvent(tx, {
          swarmId: swarm.id,
          ownerId,
          type: AgentEventType.Joined,
          agentId: member.agentId,
          data: { role: member.role, priority: member.priority },
        }),
      );
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: command.actor.principal.keyId,
        action: 'swarm.agent.add',
        resourceType: 'swarm',
        resourceId: swarm.id,
        details: { agent_id: member.agentId, role: member.role },
        requestId: command.actor.requestId,
      });
      return { member, leaderAgentId: topology.layout.leaderId, token, topology };
    });
    this.broadcaster.broadcast(events);
    await this.announcer.announce(command.swarmId, result.topology);
    return result;
  }

  private newAgentFields(command: RegisterSwarmAgentCommand): NewAgentFields | null {
    const fields = command.newAgent ?? {};
    const given = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (command.agentId) {
      if (given.length > 0) {
        throw new ValidationFailed(`agent_id adds an existing agent; do not also send ${given.map(snakeCase).join(', ')}`);
      }
      return null;
    }
    const missing = [!fields.name && 'name', !fields.agentType && 'agent_type'].filter(Boolean);
    if (missing.length > 0) throw new ValidationFailed(`${missing.join(' and ')} required to register a new agent (or send agent_id)`);
    return fields as NewAgentFields;
  }
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

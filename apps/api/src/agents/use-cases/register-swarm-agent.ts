import { Injectable } from '@nestjs/common';
import { Agent, AuditEntry, HistoryRepository, MemberAgent, Prisma, PrismaService, SwarmEvent, SwarmEventEntry, SwarmRepository, SwarmWithCounts } from '@swarm/db';
import { AgentEventType, AgentRole, assertSwarmMutable, Conflict, NotFound, readStoredConfiguration, ValidationFailed } from '@swarm/domain';
import { SwarmEventBroadcaster } from '@swarm/messaging';
import { SwarmTopologySync, TopologyAnnouncer } from '@swarm/topology';
import type { Actor } from '../../auth/auth.decorators';
import type { BatchOutcome } from '../../common/keyed-batches';
import type { SwarmCreated } from '../../swarms/use-cases/create-swarm';
import { AgentFactory, NewAgentFields } from './create-agent';

export interface RegisterSwarmAgentCommand {
  actor: Actor;
  swarmId: string;
  agentId?: string;
  newAgent?: Partial<NewAgentFields>;
  role?: AgentRole;
  priority?: number;
}

/** One agent of a batch; the swarm is the batch's. */
export type SwarmMemberCommand = Omit<RegisterSwarmAgentCommand, 'swarmId'>;

/** Makes the swarm in the registration's own transaction, for members that join a new swarm. */
export type SwarmCreation = (tx: Prisma.TransactionClient) => Promise<SwarmCreated>;

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
    private readonly history: HistoryRepository,
    private readonly factory: AgentFactory,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
  ) {}

  async execute(command: RegisterSwarmAgentCommand): Promise<RegisteredMember> {
    const [outcome] = await this.executeMany(command.actor.principal.ownerId, command.swarmId, [command]);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * Adds several agents to one swarm of the owner in one transaction with one topology pass, so
   * a batch costs about one join under the swarm's lock rather than one each. Each command gets
   * its own outcome, in order: one refused (unknown agent, already a member, swarm full) leaves
   * the others in. A failure of the swarm itself (absent, terminated) or of the database is thrown.
   * `target` is the swarm's id, or makes the swarm in the same transaction.
   */
  async executeMany(ownerId: string, target: string | SwarmCreation, commands: readonly SwarmMemberCommand[]): Promise<BatchOutcome<RegisteredMember>[]> {
    const outcomes: (BatchOutcome<RegisteredMember> | null)[] = commands.map(() => null);
    const valid: Array<{ index: number; command: SwarmMemberCommand; newAgent: NewAgentFields | null }> = [];
    commands.forEach((command, index) => {
      try {
        valid.push({ index, command, newAgent: this.newAgentFields(command) });
      } catch (error) {
        outcomes[index] = { error };
      }
    });
    if (valid.length === 0) return outcomes as BatchOutcome<RegisteredMember>[];

    const events: SwarmEvent[] = [];
    let swarmId = typeof target === 'string' ? target : null;
    const result = await this.prisma.$transaction(async (tx) => {
      let swarm: SwarmWithCounts;
      // The new swarm's event and audit row, written with the members' below.
      let creation: { event: SwarmEventEntry[]; audit: AuditEntry[] } = { event: [], audit: [] };
      if (swarmId !== null) {
        if (!(await this.swarms.lockForOwner(tx, ownerId, swarmId))) throw new NotFound('swarm', swarmId);
        swarm = (await this.swarms.findForOwner(ownerId, swarmId, tx))!;
      } else {
        // A row this transaction inserted: no one else sees it, let alone changes it, before the commit.
        const made = await (target as SwarmCreation)(tx);
        swarm = made.swarm;
        swarmId = swarm.id;
        creation = { event: [made.event], audit: [made.audit] };
      }
      assertSwarmMutable(swarm.id, swarm.status);

      // Ids compare as Postgres compares uuids, whatever their case.
      const existingIds = [...new Set(valid.filter((v) => !v.newAgent).map((v) => v.command.agentId!.toLowerCase()))];
      const [known, memberships] =
        existingIds.length === 0
          ? [new Map<string, Agent>(), new Map<string, string>()]
          : [
              new Map((await tx.agent.findMany({ where: { ownerId, id: { in: existingIds } } })).map((a) => [a.id, a] as const)),
              new Map(
                (await tx.swarmMembership.findMany({ where: { swarmId: swarm.id, agentId: { in: existingIds } }, select: { agentId: true, status: true } })).map(
                  (m) => [m.agentId, m.status] as const,
                ),
              ),
            ];
      const config = readStoredConfiguration(swarm.configuration);
      // Read with the swarm, under its lock.
      let active = swarm._count.memberships;
      const accepted: Array<{ index: number; command: SwarmMemberCommand; newAgent: NewAgentFields | null; agentId?: string; agent?: Agent; token?: string }> = [];
      const taken = new Set<string>();
      for (const entry of valid) {
        const agentId = entry.command.agentId?.toLowerCase();
        if (!entry.newAgent) {
          if (!known.has(agentId!)) {
            outcomes[entry.index] = { error: new NotFound('agent', entry.command.agentId!) };
            continue;
          }
          if (memberships.get(agentId!) === 'active' || taken.has(agentId!)) {
            outcomes[entry.index] = { error: new Conflict(`agent ${agentId} is already a member of swarm ${swarm.id}`) };
            continue;
          }
        }
        if (active >= config.max_agents) {
          outcomes[entry.index] = { error: new Conflict(`swarm ${swarm.id} already has max_agents (${config.max_agents}) agents`) };
          continue;
        }
        active++;
        if (agentId) taken.add(agentId);
        accepted.push({ ...entry, agentId, agent: agentId ? known.get(agentId) : undefined });
      }
      if (accepted.length === 0) {
        events.push(...(await this.history.appendSwarmEvents(tx, creation.event)));
        await this.history.auditMany(tx, creation.audit);
        return null;
      }

      const newcomers = accepted.filter((entry) => entry.newAgent);
      const { created, audits } = await this.factory.createMany(
        tx,
        newcomers.map((entry) => ({ actor: entry.command.actor, fields: entry.newAgent! })),
      );
      newcomers.forEach((entry, i) => {
        entry.agentId = created[i].agent.id;
        entry.agent = created[i].agent;
        entry.token = created[i].token;
      });

      // joined_at (ms precision) orders the roster: members added together keep the order given.
      const now = Date.now();
      const fields = (entry: (typeof accepted)[number], i: number) => ({
        joinedAt: new Date(now + i),
        // A role given here is pinned; otherwise the topology assigns one just below.
        role: entry.command.role ?? 'worker',
        pinnedRole: entry.command.role ?? null,
        priority: entry.command.priority ?? 0,
      });
      const fresh = accepted.map((entry, i) => ({ entry, i })).filter(({ entry }) => !memberships.has(entry.agentId!));
      const agentOf = new Map(accepted.map((entry) => [entry.agentId!, entry.agent!]));
      const rows: MemberAgent[] =
        fresh.length === 0
          ? []
          : (
              await tx.swarmMembership.createManyAndReturn({
                data: fresh.map(({ entry, i }) => ({ swarmId: swarm.id, agentId: entry.agentId!, ...fields(entry, i) })),
              })
            ).map((row) => ({ ...row, agent: agentOf.get(row.agentId)! }));
      // Re-adding an agent that left reactivates its membership.
      for (const [i, entry] of accepted.entries()) {
        if (!memberships.has(entry.agentId!)) continue;
        rows.push(
          await tx.swarmMembership.update({
            where: { swarmId_agentId: { swarmId: swarm.id, agentId: entry.agentId! } },
            data: { status: 'active', leftAt: null, parentAgentId: null, ...fields(entry, i) },
            include: { agent: true },
          }),
        );
      }
      const byAgent = new Map(rows.map((r) => [r.agentId, r]));

      const topology = await this.topology.apply(tx, swarm, 'member_joined');
      const placed = new Map(topology.layout.nodes.map((n) => [n.agentId, n]));
      const members = accepted.map((entry) => {
        const member = byAgent.get(entry.agentId!)!;
        const node = placed.get(member.agentId);
        if (node) Object.assign(member, { role: node.role, parentAgentId: node.parentId });
        return { entry, member };
      });
      // The new swarm's creation, the new agents' registrations and the joins in one statement. An
      // event the topology pass wrote (an election the join set off) comes before them, not between.
      events.push(
        ...(await this.history.appendSwarmEvents(tx, [
          ...creation.event,
          ...created.map(({ agent }) => ({ swarmId: swarm.id, ownerId, type: AgentEventType.Registered, agentId: agent.id, data: { name: agent.name } })),
          ...members.map(({ member }) => ({ swarmId: swarm.id, ownerId, type: AgentEventType.Joined, agentId: member.agentId, data: { role: member.role, priority: member.priority } })),
        ])),
      );
      await this.history.auditMany(tx, [
        ...creation.audit,
        ...audits,
        ...members.map(({ entry, member }) => ({
          ownerId,
          actorKeyId: entry.command.actor.principal.keyId,
          action: 'swarm.agent.add',
          resourceType: 'swarm',
          resourceId: swarm.id,
          details: { agent_id: member.agentId, role: member.role },
          requestId: entry.command.actor.requestId,
        })),
      ]);
      for (const { entry, member } of members) {
        outcomes[entry.index] = { value: { member, leaderAgentId: topology.layout.leaderId, token: entry.token } };
      }
      return topology;
    });
    this.broadcaster.broadcast(events);
    if (result) await this.announcer.announce(swarmId!, result);
    return outcomes as BatchOutcome<RegisteredMember>[];
  }

  private newAgentFields(command: SwarmMemberCommand): NewAgentFields | null {
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

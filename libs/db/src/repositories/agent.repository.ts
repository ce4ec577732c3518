import { Injectable } from '@nestjs/common';
import { Agent, AgentRole, AgentStatus, Prisma, SwarmMembership } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService } from '../prisma.service';

type Db = PrismaService | Prisma.TransactionClient;

export type MemberAgent = SwarmMembership & { agent: Agent };

export interface MemberFilter {
  status?: AgentStatus;
  capability?: string;
  role?: AgentRole;
}

/** An agent with the swarms it actively serves: what the gateway needs about a connecting agent. */
export type AgentWithSwarms = Agent & {
  memberships: (SwarmMembership & { swarm: { id: string; configuration: Prisma.JsonValue; status: string } })[];
};

/** Owner-scoped access to agents and their swarm memberships. */
@Injectable()
export class AgentRepository {
  constructor(private readonly prisma: PrismaService) {}

  findForOwner(ownerId: string, agentId: string, db: Db = this.prisma): Promise<Agent | null> {
    return db.agent.findFirst({ where: { id: agentId, ownerId } });
  }

  findMember(ownerId: string, swarmId: string, agentId: string, db: Db = this.prisma): Promise<MemberAgent | null> {
    return db.swarmMembership.findFirst({
      where: { swarmId, agentId, swarm: { ownerId } },
      include: { agent: true },
    });
  }

  countActiveMembers(swarmId: string, db: Db = this.prisma): Promise<number> {
    return db.swarmMembership.count({ where: { swarmId, status: 'active' } });
  }

  async listMembers(ownerId: string, swarmId: string, filter: MemberFilter, page: PageRequest): Promise<Page<MemberAgent>> {
    const rows = await this.prisma.swarmMembership.findMany({
      where: {
        swarmId,
        status: 'active',
        swarm: { ownerId },
        role: filter.role,
        agent: {
          status: filter.status,
          ...(filter.capability ? { capabilities: { has: filter.capability } } : {}),
        },
        ...(page.cursor ? { id: { gt: page.cursor } } : {}),
      },
      include: { agent: true },
      orderBy: { id: 'asc' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit);
  }

  /** Authentication of agent sockets: the token prefix is global; the owner comes from the row. */
  findByTokenPrefix(prefix: string): Promise<AgentWithSwarms | null> {
    return this.prisma.agent.findUnique({
      where: { tokenPrefix: prefix },
      include: {
        memberships: {
          where: { status: 'active', swarm: { status: { not: 'terminated' } } },
          include: { swarm: { select: { id: true, configuration: true, status: true } } },
        },
      },
    });
  }

  withSwarms(agentId: string): Promise<AgentWithSwarms | null> {
    return this.prisma.agent.findUnique({
      where: { id: agentId },
      include: {
        memberships: {
          where: { status: 'active', swarm: { status: { not: 'terminated' } } },
          include: { swarm: { select: { id: true, configuration: true, status: true } } },
        },
      },
    });
  }

  /** Swarm ids the agent actively serves (for events about the agent). */
  async activeSwarmIds(agentId: string, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.swarmMembership.findMany({ where: { agentId, status: 'active' }, select: { swarmId: true } });
    return rows.map((r) => r.swarmId);
  }
}

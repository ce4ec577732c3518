import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { DomainError, readStoredConfiguration } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { RegisterSwarmAgent } from '../../agents/use-cases/register-swarm-agent';
import { CreateSwarm } from '../../swarms/use-cases/create-swarm';
import { CliRole, JoinPriority } from '../swarm-cli.dto';

/** Membership priority of each CLI priority. */
export const JOIN_PRIORITY: Record<JoinPriority, number> = { low: 0, normal: 5, high: 10 };
export const DEFAULT_REGION = 'default';
/** Joins that find a full swarm, or race another join for a new one, try again this often. */
const JOIN_ATTEMPTS = 3;

/**
 * Swarms made for joins are named `cli-<region>-<n>`: the name carries the region, so joins of
 * one region share swarms without a region column. Lower-cased, since names are unique per owner.
 */
export function joinSwarmPrefix(region: string | undefined): string {
  return `cli-${(region ?? DEFAULT_REGION).toLowerCase()}-`;
}

export interface JoinSwarmCommand {
  actor: Actor;
  role: CliRole;
  capability: string;
  priority: JoinPriority;
  region?: string;
}

export interface JoinedSwarm {
  swarmId: string;
  swarmName: string;
  memberId: string;
  agentName: string;
  priority: number;
  /** The membership's status. */
  status: string;
  joinedAt: Date;
  agentToken: string;
}

/**
 * The caller joins as a new agent (with a token its program connects with), placed in the
 * first of its region's join swarms that is not terminated and has room under max_agents, or in
 * a new mesh swarm of that region when none has.
 */
@Injectable()
export class JoinSwarm {
  constructor(
    private readonly prisma: PrismaService,
    private readonly createSwarm: CreateSwarm,
    private readonly registerAgent: RegisterSwarmAgent,
  ) {}

  async execute(command: JoinSwarmCommand): Promise<JoinedSwarm> {
    let lastError: unknown;
    for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
      try {
        const swarm = await this.placeIn(command);
        // Agent names need not be unique: a readable count per role is enough to tell members apart.
        const sameRole = await this.prisma.agent.count({ where: { ownerId: command.actor.principal.ownerId, agentType: command.role } });
        const registered = await this.registerAgent.execute({
          actor: command.actor,
          swarmId: swarm.id,
          newAgent: {
            name: `${command.role}-${sameRole + 1}`,
            agentType: command.role,
            capabilities: [command.capability],
            metadata: { cli_role: command.role, region: command.region ?? null },
          },
          priority: JOIN_PRIORITY[command.priority],
        });
        return {
          swarmId: swarm.id,
          swarmName: swarm.name,
          memberId: registered.member.agentId,
          agentName: registered.member.agent.name,
          priority: registered.member.priority,
          status: registered.member.status,
          joinedAt: registered.member.joinedAt,
          agentToken: registered.token!,
        };
      } catch (error) {
        // Another join filled the swarm or took the new name first: look again.
        if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private async placeIn(command: JoinSwarmCommand): Promise<{ id: string; name: string }> {
    const ownerId = command.actor.principal.ownerId;
    const prefix = joinSwarmPrefix(command.region);
    const swarms = await this.prisma.swarm.findMany({
      where: { ownerId, name: { startsWith: prefix } },
      select: { id: true, name: true, status: true, configuration: true, _count: { select: { memberships: { where: { status: 'active' } } } } },
    });
    const numbered = swarms
      .map((s) => ({ ...s, n: Number(s.name.slice(prefix.length)) }))
      .filter((s) => Number.isInteger(s.n) && s.n > 0)
      .sort((a, b) => a.n - b.n);
    const fitting = numbered.find((s) => s.status !== 'terminated' && s._count.memberships < readStoredConfiguration(s.configuration).max_agents);
    if (fitting) return fitting;
    const next = numbered.length === 0 ? 1 : numbered[numbered.length - 1].n + 1;
    const created = await this.createSwarm.execute({
      actor: command.actor,
      name: `${prefix}${next}`,
      description: `members joined through /swarm/join in region ${command.region ?? DEFAULT_REGION}`,
      topology: 'mesh',
    });
    return created;
  }
}

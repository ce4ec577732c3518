import { Injectable } from '@nestjs/common';
import { PrismaService, uniqueViolationTarget } from '@swarm/db';
import { Conflict, DomainError, readStoredConfiguration } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { RegisteredMember, RegisterSwarmAgent, SwarmCreation } from '../../agents/use-cases/register-swarm-agent';
import { BatchOutcome, KeyedBatches } from '../../common/keyed-batches';
import { CreateSwarm, CreateSwarmCommand } from '../../swarms/use-cases/create-swarm';
import { CLI_ROLES, CliRole, JoinPriority } from '../swarm-cli.dto';

/** Membership priority of each CLI priority. */
export const JOIN_PRIORITY: Record<JoinPriority, number> = { low: 0, normal: 5, high: 10 };
export const DEFAULT_REGION = 'default';
/** Joins that find a full swarm, or race another join for a new one, try again this often. */
const JOIN_ATTEMPTS = 3;
/** Joins of one region that arrive together are placed and added together, at most this many. */
const JOIN_BATCH_MAX = 50;
/**
 * A batch waits this long for joins still on their way (the responses of one batch bring the
 * next requests back together): a few ms against a transaction per join saved.
 */
const JOIN_GATHER = { idleMs: 3, maxMs: 15 };

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

/** An existing swarm with room, or how to make the next one of the region. */
type Placement = { id: string; name: string } | { create: SwarmCreation; name: string };

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
  /**
   * Concurrent joins of a region all land in the same swarm and would each place themselves and
   * then hold its row lock for a whole registration in turn; batched by owner and region, they
   * are placed once and registered in one transaction with one topology pass.
   */
  private readonly joins: KeyedBatches<JoinSwarmCommand, JoinedSwarm>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly createSwarm: CreateSwarm,
    private readonly registerAgent: RegisterSwarmAgent,
  ) {
    this.joins = new KeyedBatches((_key, commands, takeMore) => this.joinTogether(commands, takeMore), JOIN_BATCH_MAX, JOIN_GATHER);
  }

  execute(command: JoinSwarmCommand): Promise<JoinedSwarm> {
    return this.joins.submit(`${command.actor.principal.ownerId}:${joinSwarmPrefix(command.region)}`, command);
  }

  /** Commands of one owner and region. */
  private async joinTogether(first: JoinSwarmCommand[], takeMore: () => JoinSwarmCommand[]): Promise<BatchOutcome<JoinedSwarm>[]> {
    const ownerId = first[0].actor.principal.ownerId;
    // Independent reads: the names do not depend on where the agents go.
    const [counts, firstPlace] = await Promise.allSettled([this.roleCounts(ownerId), this.placeIn(first[0])]);
    // Joins that came in meanwhile (a cold start's first burst is spread out) go in with these.
    const commands = [...first, ...takeMore()];
    const names = agentNames(settled(counts), commands);
    const outcomes: BatchOutcome<JoinedSwarm>[] = [];
    let waiting = commands.map((_, index) => index);
    for (let attempt = 0; attempt < JOIN_ATTEMPTS && waiting.length > 0; attempt++) {
      let place: Placement | undefined;
      let placed: Array<BatchOutcome<RegisteredMember>>;
      try {
        place = attempt === 0 ? settled(firstPlace) : await this.placeIn(commands[waiting[0]]);
        placed = await this.registerAgent.executeMany(
          ownerId,
          'id' in place ? place.id : place.create,
          waiting.map((index) => {
            const command = commands[index];
            return {
              actor: command.actor,
              newAgent: {
                name: names[index],
                agentType: command.role,
                capabilities: [command.capability],
                metadata: { cli_role: command.role, region: command.region ?? null },
              },
              priority: JOIN_PRIORITY[command.priority],
            };
          }),
        );
      } catch (error) {
        // Another join took the new name first, or the swarm ended meanwhile: look again.
        const conflict = place && uniqueViolationTarget(error) ? new Conflict(`you already have a swarm named "${place.name}"`) : error;
        if (!isConflict(conflict)) throw error;
        for (const index of waiting) outcomes[index] = { error: conflict };
        continue;
      }
      const swarmName = place.name;
      const refused: number[] = [];
      placed.forEach((outcome, i) => {
        const index = waiting[i];
        if ('error' in outcome) {
          outcomes[index] = outcome;
          // The swarm filled up before this one's turn: the next swarm of the region, then.
          if (isConflict(outcome.error)) refused.push(index);
          return;
        }
        const { member, token } = outcome.value;
        outcomes[index] = {
          value: {
            swarmId: member.swarmId,
            swarmName,
            memberId: member.agentId,
            agentName: member.agent.name,
            priority: member.priority,
            status: member.status,
            joinedAt: member.joinedAt,
            agentToken: token!,
          },
        };
      });
      waiting = refused;
    }
    return outcomes;
  }

  /** How many agents of each type the owner has. */
  private async roleCounts(ownerId: string): Promise<Map<string, number>> {
    const rows = await this.prisma.agent.groupBy({ by: ['agentType'], where: { ownerId, agentType: { in: [...CLI_ROLES] } }, _count: { _all: true } });
    return new Map(rows.map((r) => [r.agentType, r._count._all]));
  }

  /** The first swarm of the region with room, or how to make the next one (with its first members). */
  private async placeIn(command: JoinSwarmCommand): Promise<Placement> {
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
    if (fitting) return { id: fitting.id, name: fitting.name };
    const next = numbered.length === 0 ? 1 : numbered[numbered.length - 1].n + 1;
    const name = `${prefix}${next}`;
    const creation: CreateSwarmCommand = {
      actor: command.actor,
      name,
      description: `members joined through /swarm/join in region ${command.region ?? DEFAULT_REGION}`,
      topology: 'mesh',
    };
    return { name, create: (tx) => this.createSwarm.createIn(tx, creation) };
  }
}

function isConflict(error: unknown): boolean {
  return error instanceof DomainError && error.code === 'conflict';
}

/** Agent names need not be unique: a readable count per role is enough to tell members apart. */
function agentNames(counts: ReadonlyMap<string, number>, commands: JoinSwarmCommand[]): string[] {
  const last = new Map(counts);
  return commands.map((command) => {
    const n = (last.get(command.role) ?? 0) + 1;
    last.set(command.role, n);
    return `${command.role}-${n}`;
  });
}

function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

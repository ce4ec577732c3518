import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { agentCapability, AgentTypeStats, DistributionAlgorithm, readStoredConfiguration } from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';

export interface RosterAgent {
  id: string;
  capabilities: string[];
  maxConcurrency: number;
  status: string;
}

export interface SwarmRoster {
  swarmId: string;
  ownerId: string;
  status: string;
  algorithm: DistributionAlgorithm;
  agents: RosterAgent[];
  byId: Map<string, RosterAgent>;
}

/** Membership and configuration change rarely; distributor cycles run many times a second. */
const ROSTER_TTL_MS = 1_000;
const STATS_TTL_MS = 2_000;

/**
 * Who is in a swarm (active members, their capabilities and max_concurrency, their status) and
 * what they have shown per task type, cached briefly. Whether an agent is connected is not
 * cached: each cycle reads it from Redis. A cached roster is also dropped as soon as the swarm's
 * roster version (Redis) moves: an agent activated a moment ago must get the tasks whose
 * signal woke this cycle, not wait for the cache to expire and something else to signal.
 */
@Injectable()
export class SwarmRosterCache {
  private readonly rosters = new Map<string, { at: number; version: string; roster: SwarmRoster | null }>();
  private readonly statsCache = new Map<string, { at: number; stats: Map<string, Map<string, AgentTypeStats>> }>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly store: TaskDispatchStore,
  ) {}

  /**
   * The cached roster and the roster version it was read at, without asking Redis (the cycle's
   * snapshot returns the current version, and the cycle drops a stale roster then), or
   * undefined when there is none fresh enough.
   */
  cached(swarmId: string, now = Date.now()): { roster: SwarmRoster | null; version: string } | undefined {
    const cached = this.rosters.get(swarmId);
    return cached && now - cached.at < ROSTER_TTL_MS ? { roster: cached.roster, version: cached.version } : undefined;
  }

  invalidate(swarmId: string): void {
    this.rosters.delete(swarmId);
  }

  async get(swarmId: string, now = Date.now()): Promise<SwarmRoster | null> {
    return (await this.load(swarmId, now)).roster;
  }

  async load(swarmId: string, now = Date.now()): Promise<{ roster: SwarmRoster | null; version: string }> {
    // Read before Postgres: a change committed during the read bumps the version past this one
    // (the bump follows the commit), so the next cycle reads the roster again.
    const version = await this.store.rosterVersion(swarmId);
    const cached = this.rosters.get(swarmId);
    if (cached && cached.version === version && now - cached.at < ROSTER_TTL_MS) return { roster: cached.roster, version };
    const swarm = await this.prisma.swarm.findUnique({
      where: { id: swarmId },
      select: {
        id: true,
        ownerId: true,
        status: true,
        configuration: true,
        memberships: { where: { status: 'active' }, select: { agent: { select: { id: true, capabilities: true, maxConcurrency: true, status: true } } } },
      },
    });
    // Each agent also has its own agent:<id> capability: tasks pinned to it (replicas of a
    // redundant task) match nobody else.
    const agents = swarm?.memberships.map((m) => ({ ...m.agent, capabilities: [...m.agent.capabilities, agentCapability(m.agent.id)] })) ?? [];
    const roster: SwarmRoster | null = swarm
      ? {
          swarmId: swarm.id,
          ownerId: swarm.ownerId,
          status: swarm.status,
          algorithm: readStoredConfiguration(swarm.configuration).distribution_algorithm,
          agents: agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
          byId: new Map(agents.map((a) => [a.id, a])),
        }
      : null;
    this.rosters.set(swarmId, { at: now, version, roster });
    if (this.rosters.size > 10_000) this.rosters.clear();
    return { roster, version };
  }

  async stats(swarmId: string, agentIds: string[], now = Date.now()): Promise<Map<string, Map<string, AgentTypeStats>>> {
    const cached = this.statsCache.get(swarmId);
    if (cached && now - cached.at < STATS_TTL_MS) return cached.stats;
    const rows = agentIds.length === 0 ? [] : await this.prisma.agentTaskStats.findMany({ where: { agentId: { in: agentIds } } });
    const stats = new Map<string, Map<string, AgentTypeStats>>();
    for (const row of rows) {
      const perType = stats.get(row.agentId) ?? new Map<string, AgentTypeStats>();
      perType.set(row.taskType, {
        completed: row.completed,
        failed: row.failed + row.timedOut,
        successRate: row.successRateEwma,
        latencyMs: row.latencyMsEwma,
      });
      stats.set(row.agentId, perType);
    }
    this.statsCache.set(swarmId, { at: now, stats });
    return stats;
  }
}

import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { repairTopologyLayout, TopologyLayout } from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';
import { LayoutSwarm, previousLayout, readActiveMembers, toTopologyMembers, topologyOptions } from './swarm-topology-sync';

export interface CurrentLayout {
  layout: TopologyLayout;
  /** Members whose role was pinned through the API. */
  pinned: ReadonlySet<string>;
}

interface CachedLayout extends CurrentLayout {
  version: string;
  readAt: number;
}

/** A cached layout is trusted this long even without a roster change, as a bound on staleness. */
const CACHE_MAX_AGE_MS = 5_000;
const CACHE_MAX_SWARMS = 1_000;

/**
 * The layout as of now: the stored one repaired with the members' current health (what the
 * worker will store on its next pass). Message routing reads it for every message, so it is
 * cached per swarm until the swarm's roster version moves.
 */
@Injectable()
export class SwarmLayoutReader {
  private readonly cache = new Map<string, CachedLayout>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly dispatch: TaskDispatchStore,
  ) {}

  /** Not owner-scoped: callers have already checked the swarm belongs to whoever asks. */
  async current(swarmId: string): Promise<CurrentLayout | null> {
    const version = await this.dispatch.rosterVersion(swarmId);
    const cached = this.cache.get(swarmId);
    if (cached && cached.version === version && Date.now() - cached.readAt < CACHE_MAX_AGE_MS) return cached;
    const current = await this.read(swarmId);
    this.cache.delete(swarmId);
    if (!current) return null;
    if (this.cache.size >= CACHE_MAX_SWARMS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(swarmId, { ...current, version, readAt: Date.now() });
    return current;
  }

  private async read(swarmId: string): Promise<CurrentLayout | null> {
    const swarm = await this.prisma.swarm.findUnique({
      where: { id: swarmId },
      select: { id: true, ownerId: true, topology: true, configuration: true, leaderAgentId: true, topologyState: true },
    });
    if (!swarm) return null;
    const rows = await readActiveMembers(this.prisma, swarmId);
    const { layout } = repairTopologyLayout(previousLayout(swarm as LayoutSwarm), toTopologyMembers(rows), topologyOptions(swarm));
    return { layout, pinned: new Set(rows.filter((r) => r.pinnedRole !== null).map((r) => r.agentId)) };
  }
}

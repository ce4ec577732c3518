import { Injectable, Logger } from '@nestjs/common';
import { HistoryRepository, Prisma, SwarmEvent } from '@swarm/db';
import {
  AgentEventType,
  AgentRole,
  AgentStatus,
  emptyLayout,
  isLive,
  readStoredConfiguration,
  repairTopologyLayout,
  restoreLayout,
  snapshotLayout,
  SwarmTopology,
  TopologyDiff,
  TopologyLayout,
  TopologyMember,
  TopologyNode,
  TopologyOptions,
  TopologySnapshot,
} from '@swarm/domain';

/** The swarm columns a layout is computed from. */
export interface LayoutSwarm {
  id: string;
  ownerId: string;
  topology: SwarmTopology;
  configuration: unknown;
  leaderAgentId: string | null;
  topologyState: unknown;
}

export interface StoredMember {
  agentId: string;
  role: AgentRole;
  pinnedRole: AgentRole | null;
  parentAgentId: string | null;
  priority: number;
  joinedAt: Date;
  agent: { name: string; status: string };
}

export interface TopologyTransitionResult {
  layout: TopologyLayout;
  diff: TopologyDiff;
  /** Rows written to swarm_events (broadcast them after the commit). */
  events: SwarmEvent[];
  /** Agents whose role, parent or links changed, or who just joined: they are told. */
  affectedAgents: string[];
}

/** Why the layout is being recomputed; written into the topology_changed event. */
export type TopologyChangeReason =
  | 'member_joined'
  | 'member_left'
  | 'member_health_changed'
  | 'topology_updated'
  | 'role_updated'
  | 'leader_unavailable';

/** A topology_changed event lists at most this many per-agent changes (the count is always given). */
const EVENT_CHANGES_MAX = 50;

export function topologyOptions(swarm: Pick<LayoutSwarm, 'topology' | 'configuration'>): TopologyOptions {
  return { topology: swarm.topology, maxChildrenPerParent: readStoredConfiguration(swarm.configuration).max_children_per_parent };
}

export function toTopologyMembers(rows: StoredMember[], cpuPercent?: ReadonlyMap<string, number | null>): TopologyMember[] {
  return rows.map((m) => ({
    agentId: m.agentId,
    name: m.agent.name,
    status: m.agent.status as AgentStatus,
    priority: m.priority,
    cpuPercent: cpuPercent?.get(m.agentId) ?? null,
    joinedAt: m.joinedAt.getTime(),
    ...(m.pinnedRole ? { pinnedRole: m.pinnedRole } : {}),
  }));
}

/** The layout the swarm was last given, or an empty one led by its recorded leader. */
export function previousLayout(swarm: LayoutSwarm): TopologyLayout {
  const options = topologyOptions(swarm);
  const state = swarm.topologyState as TopologySnapshot | null;
  if (state && Array.isArray(state.members) && Array.isArray(state.order)) {
    try {
      return restoreLayout(state);
    } catch {
      // A state written by an older version that no longer restores: lay out from scratch.
    }
  }
  return emptyLayout(options.topology, options.maxChildrenPerParent!, swarm.leaderAgentId);
}

export const STORED_MEMBER_SELECT = {
  agentId: true,
  role: true,
  pinnedRole: true,
  parentAgentId: true,
  priority: true,
  joinedAt: true,
  agent: { select: { name: true, status: true } },
} as const;

/**
 * The swarm's active members as STORED_MEMBER_SELECT reads them, in one statement (the select
 * takes a second query for the agents): it runs in every membership and health transaction.
 */
export async function readActiveMembers(db: Prisma.TransactionClient, swarmId: string): Promise<StoredMember[]> {
  const rows = await db.$queryRaw<Array<Omit<StoredMember, 'agent'> & { name: string; status: string }>>`
    SELECT m.agent_id AS "agentId", m.role::text AS role, m.pinned_role::text AS "pinnedRole", m.parent_agent_id AS "parentAgentId",
      m.priority, m.joined_at AS "joinedAt", a.name, a.status::text AS status
    FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
    WHERE m.swarm_id = ${swarmId}::uuid AND m.status = 'active'
    ORDER BY m.joined_at, m.agent_id`;
  return rows.map(({ name, status, ...member }) => ({ ...member, agent: { name, status } }));
}

/**
 * Keeps a swarm's roles, parents, leader and stored layout in step with its members: called in
 * the transaction that changed membership, health or topology, with the swarm row locked. It
 * repairs the previous layout (so a live leader stays and only agents near a loss move), writes
 * what differs and records `leader_election` / `topology_changed` events.
 */
@Injectable()
export class SwarmTopologySync {
  private readonly logger = new Logger(SwarmTopologySync.name);

  constructor(private readonly history: HistoryRepository) {}

  async apply(
    tx: Prisma.TransactionClient,
    swarm: LayoutSwarm,
    reason: TopologyChangeReason,
    /** Live CPU figures: asked for only when an election will run (they are one of its criteria). */
    cpuPercent?: (agentIds: string[]) => Promise<ReadonlyMap<string, number | null>>,
  ): Promise<TopologyTransitionResult> {
    const rows = await readActiveMembers(tx, swarm.id);
    const previous = previousLayout(swarm);
    const leaderStays = rows.some((r) => r.agentId === previous.leaderId && isLive(r.agent.status as AgentStatus));
    const cpu = cpuPercent && !leaderStays && rows.length > 0 ? await cpuPercent(rows.map((r) => r.agentId)) : undefined;
    const members = toTopologyMembers(rows, cpu);
    const { layout, diff } = repairTopologyLayout(previous, members, topologyOptions(swarm));

    const nodes = new Map(layout.nodes.map((n) => [n.agentId, n]));
    const stale = rows.filter((row) => {
      const node = nodes.get(row.agentId);
      return node !== undefined && (node.role !== row.role || node.parentId !== row.parentAgentId);
    });
    if (stale.length > 0) await this.storeRoles(tx, swarm.id, nodes, stale);

    const wasLive = new Map(previous.nodes.map((n) => [n.agentId, isLive(n.status)]));
    const livenessMoved = previous.nodes.length !== layout.nodes.length || layout.nodes.some((n) => wasLive.get(n.agentId) !== isLive(n.status));
    const leaderMoved = swarm.leaderAgentId !== layout.leaderId;
    if (diff.changed || livenessMoved || leaderMoved || swarm.topologyState === null) {
      await tx.swarm.update({
        where: { id: swarm.id },
        data: { leaderAgentId: layout.leaderId, topologyState: snapshotLayout(layout, members) as unknown as Prisma.InputJsonValue },
      });
    }

    const events: SwarmEvent[] = [];
    if (diff.leaderChanged) {
      events.push(
        await this.history.appendSwarmEvent(tx, {
          swarmId: swarm.id,
          ownerId: swarm.ownerId,
          type: AgentEventType.LeaderElection,
          agentId: layout.leaderId,
          data: {
            previous_leader: diff.previousLeaderId,
            elected: layout.leaderId,
            reason: diff.previousLeaderId ? 'leader_unavailable' : 'no_leader',
            topology: layout.topology,
          },
        }),
      );
    }
    // A member that joined but is not up yet links to nobody: nothing to announce until it is.
    const liveAdded = diff.added.some((id) => isLive(nodes.get(id)!.status));
    const structural = liveAdded || diff.removed.length > 0 || diff.changes.length > 0 || previous.topology !== layout.topology;
    if (structural) {
      events.push(
        await this.history.appendSwarmEvent(tx, {
          swarmId: swarm.id,
          ownerId: swarm.ownerId,
          type: TopologyEventType.Changed,
          data: topologyChangedData(layout, diff, reason, previous.topology) as unknown as Prisma.InputJsonValue,
        }),
      );
      this.logger.log({ swarmId: swarm.id, reason, added: diff.added.length, removed: diff.removed.length, changes: diff.changes.length, leaderId: layout.leaderId }, 'topology changed');
    }
    const affected = new Set<string>([...diff.added, ...diff.changes.map((c) => c.agentId)]);
    if (previous.topology !== layout.topology) layout.nodes.forEach((n) => affected.add(n.agentId));
    return { layout, diff, events, affectedAgents: [...affected] };
  }

  private async storeRoles(tx: Prisma.TransactionClient, swarmId: string, byId: ReadonlyMap<string, TopologyNode>, rows: StoredMember[]): Promise<void> {
    const ids = rows.map((r) => r.agentId);
    const roles = ids.map((id) => byId.get(id)!.role);
    const parents = ids.map((id) => byId.get(id)!.parentId);
    await tx.$executeRaw`
      UPDATE swarm_memberships m SET role = v.role::agent_role, parent_agent_id = v.parent
      FROM unnest(${ids}::uuid[], ${roles}::text[], ${parents}::uuid[]) AS v(agent_id, role, parent)
      WHERE m.swarm_id = ${swarmId}::uuid AND m.agent_id = v.agent_id`;
  }
}

export const TopologyEventType = {
  Changed: 'topology_changed',
} as const;

function topologyChangedData(layout: TopologyLayout, diff: TopologyDiff, reason: TopologyChangeReason, previousTopology: SwarmTopology) {
  return {
    reason,
    topology: layout.topology,
    ...(previousTopology !== layout.topology ? { previous_topology: previousTopology } : {}),
    leader_id: layout.leaderId,
    added: diff.added.slice(0, EVENT_CHANGES_MAX),
    removed: diff.removed.slice(0, EVENT_CHANGES_MAX),
    changes: diff.changes.slice(0, EVENT_CHANGES_MAX).map((c) => ({
      agent_id: c.agentId,
      ...(c.role ? { role: c.role } : {}),
      ...(c.parentId ? { parent_id: c.parentId } : {}),
      ...(c.neighbours ? { neighbours: c.neighbours } : {}),
    })),
    changes_total: diff.changes.length,
    added_total: diff.added.length,
    removed_total: diff.removed.length,
  };
}

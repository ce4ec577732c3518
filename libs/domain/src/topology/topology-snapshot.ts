import { AgentRole, AgentStatus } from '../agent/agent.types';
import { SwarmTopology } from '../swarm/swarm.types';
import { assembleLayout, uniqueMembers } from './topology-layout';
import { TopologyLayout, TopologyMember } from './topology.types';

/**
 * What must be kept of a layout to repair it later: the structure (leader, order) and the
 * members as they were. Links are left out; they follow from the rest, and a mesh's would be
 * n² entries.
 */
export interface TopologySnapshot {
  topology: SwarmTopology;
  maxChildrenPerParent: number;
  leaderId: string | null;
  order: string[];
  /** In join order. */
  members: Array<{ id: string; name: string; status: AgentStatus; pinnedRole?: AgentRole }>;
}

export function snapshotLayout(layout: TopologyLayout, members: TopologyMember[]): TopologySnapshot {
  const pins = new Map(members.filter((m) => m.pinnedRole).map((m) => [m.agentId, m.pinnedRole!]));
  return {
    topology: layout.topology,
    maxChildrenPerParent: layout.maxChildrenPerParent,
    leaderId: layout.leaderId,
    order: [...layout.order],
    members: layout.nodes.map((n) => ({
      id: n.agentId,
      name: n.name,
      status: n.status,
      ...(pins.has(n.agentId) ? { pinnedRole: pins.get(n.agentId)! } : {}),
    })),
  };
}

/** The layout a snapshot was taken of, rebuilt without re-running the election. */
export function restoreLayout(snapshot: TopologySnapshot): TopologyLayout {
  const members: TopologyMember[] = snapshot.members.map((m, index) => ({
    agentId: m.id,
    name: m.name,
    status: m.status,
    priority: 0,
    cpuPercent: null,
    joinedAt: index,
    ...(m.pinnedRole ? { pinnedRole: m.pinnedRole } : {}),
  }));
  return assembleLayout(uniqueMembers(members), { topology: snapshot.topology, maxChildrenPerParent: snapshot.maxChildrenPerParent }, snapshot.maxChildrenPerParent, snapshot.leaderId, snapshot.order);
}

/** A layout with nobody in it, led by `leaderId`: the starting point of a swarm never laid out. */
export function emptyLayout(topology: SwarmTopology, maxChildrenPerParent: number, leaderId: string | null = null): TopologyLayout {
  return { topology, maxChildrenPerParent, leaderId, order: [], nodes: [] };
}

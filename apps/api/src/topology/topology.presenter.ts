import { TopologyView } from '@swarm/contracts';
import { isLive, toTopologyGraph, TopologyLayout } from '@swarm/domain';
import type { CurrentLayout } from '@swarm/topology';

/** A thousand-member mesh has half a million links: past this many the view lists none. */
export const TOPOLOGY_EDGES_MAX = 5_000;

/** The layout to draw or list: a mesh too large to list every pair keeps its nodes, without links. */
export function drawableLayout(layout: TopologyLayout): { layout: TopologyLayout; live: number; linksOmitted: boolean } {
  const live = layout.nodes.filter((n) => isLive(n.status)).length;
  if (layout.topology !== 'mesh' || (live * (live - 1)) / 2 <= TOPOLOGY_EDGES_MAX) return { layout, live, linksOmitted: false };
  // Rebuilt field by field: reading a mesh node's neighbours would work them all out.
  const nodes = layout.nodes.map((n) => ({ agentId: n.agentId, name: n.name, role: n.role, status: n.status, parentId: n.parentId, level: n.level, neighbours: [] }));
  return { layout: { ...layout, nodes }, live, linksOmitted: true };
}

export function presentTopology(swarmId: string, current: CurrentLayout): TopologyView {
  const { layout, pinned } = current;
  const drawable = drawableLayout(layout);
  const live = drawable.live;
  const meshTooBig = drawable.linksOmitted;
  const graph = toTopologyGraph(drawable.layout);
  const parents = new Map(layout.nodes.map((n) => [n.agentId, n.parentId]));
  return {
    swarm_id: swarmId,
    topology: layout.topology,
    max_children_per_parent: layout.maxChildrenPerParent,
    leader_id: layout.leaderId,
    order: layout.order,
    nodes: graph.nodes.map((n) => ({
      agent_id: n.agent_id,
      name: n.name,
      role: n.role,
      role_pinned: pinned.has(n.agent_id),
      status: n.status,
      parent_id: parents.get(n.agent_id) ?? null,
      ...(n.level !== undefined ? { level: n.level } : {}),
    })),
    edges: graph.edges,
    ...(meshTooBig ? { edges_omitted: `a mesh of ${live} live members links every pair: ${(live * (live - 1)) / 2} edges are not listed` } : {}),
  };
}

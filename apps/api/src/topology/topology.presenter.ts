import { TopologyView } from '@swarm/contracts';
import { toTopologyGraph } from '@swarm/domain';
import type { CurrentLayout } from '@swarm/topology';

export function presentTopology(swarmId: string, { layout, pinned }: CurrentLayout): TopologyView {
  const graph = toTopologyGraph(layout);
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
  };
}

import { isLive } from '../agent/agent.types';
import { assembleLayout, chooseLeader, resolveMaxChildren, uniqueMembers } from './topology-layout';
import {
  AgentTopologyChange,
  TopologyDiff,
  TopologyLayout,
  TopologyMember,
  TopologyOptions,
  TopologyTransition,
} from './topology.types';

/**
 * The new layout after membership or health changed, and what moved. A live leader keeps its
 * post; a lost one is replaced through the shared election. Star re-centres and ring relinks
 * by construction; the tree is patched in place so only the agents near a loss move.
 */
export function repairTopologyLayout(
  previous: TopologyLayout,
  members: TopologyMember[],
  options: TopologyOptions = { topology: previous.topology, maxChildrenPerParent: previous.maxChildrenPerParent },
): TopologyTransition {
  const ratio = resolveMaxChildren(options);
  const sorted = uniqueMembers(members);
  const leaderId = chooseLeader(sorted, previous.leaderId);
  const treeSlots =
    options.topology === 'hierarchical' && previous.topology === 'hierarchical'
      ? patchTreeSlots(previous.order, sorted, leaderId)
      : leaderId === null
        ? []
        : [leaderId, ...sorted.filter((m) => isLive(m.status) && m.agentId !== leaderId).map((m) => m.agentId)];
  const layout = assembleLayout(sorted, options, ratio, leaderId, treeSlots);
  return { layout, diff: diffTopologyLayouts(previous, layout) };
}

/**
 * Keeps every surviving agent in its slot. The leader moves to the root; each vacated slot is
 * taken by the agent in the last slot (a leaf), so a lost supervisor's children are re-parented
 * to one agent and the fan-out limit still holds. Newly live agents fill the next free slots.
 */
function patchTreeSlots(previousSlots: string[], sortedMembers: TopologyMember[], leaderId: string | null): string[] {
  if (leaderId === null) return [];
  const live = new Set(sortedMembers.filter((m) => isLive(m.status)).map((m) => m.agentId));
  const slots: (string | null)[] = previousSlots.map((id) => (live.has(id) ? id : null));

  const leaderAt = slots.indexOf(leaderId);
  if (leaderAt !== 0) {
    if (leaderAt > 0) slots[leaderAt] = slots[0] ?? null;
    else if (slots.length > 0 && slots[0] !== null) slots.push(slots[0]);
    slots[0] = leaderId;
  }

  for (let i = 0; i < slots.length; i++) {
    while (slots.length > i + 1 && slots[slots.length - 1] === null) slots.pop();
    if (slots[i] === null && slots.length > i + 1) slots[i] = slots.pop()!;
  }
  const placed = slots.filter((id): id is string => id !== null);
  const newcomers = sortedMembers.filter((m) => live.has(m.agentId) && !placed.includes(m.agentId));
  return [...placed, ...newcomers.map((m) => m.agentId)];
}

/** Per-agent differences, in the new layout's member order, then the removed agents. */
export function diffTopologyLayouts(before: TopologyLayout, after: TopologyLayout): TopologyDiff {
  const beforeById = new Map(before.nodes.map((n) => [n.agentId, n]));
  const afterIds = new Set(after.nodes.map((n) => n.agentId));
  const added = after.nodes.filter((n) => !beforeById.has(n.agentId)).map((n) => n.agentId);
  const removed = before.nodes.filter((n) => !afterIds.has(n.agentId)).map((n) => n.agentId);

  // In a mesh everyone live is linked to everyone live: a link change is just a member joining,
  // leaving or changing health, and listing it per agent would be n² entries.
  const compareLinks = !(before.topology === 'mesh' && after.topology === 'mesh');
  const changes: AgentTopologyChange[] = [];
  for (const node of after.nodes) {
    const old = beforeById.get(node.agentId);
    if (!old) continue;
    const change: AgentTopologyChange = { agentId: node.agentId };
    if (old.role !== node.role) change.role = { from: old.role, to: node.role };
    if (old.parentId !== node.parentId) change.parentId = { from: old.parentId, to: node.parentId };
    if (compareLinks) {
      const oldSet = new Set(old.neighbours);
      const newSet = new Set(node.neighbours);
      const gained = node.neighbours.filter((id) => !oldSet.has(id));
      const lost = old.neighbours.filter((id) => !newSet.has(id));
      if (gained.length > 0 || lost.length > 0) change.neighbours = { added: gained, removed: lost };
    }
    if (Object.keys(change).length > 1) changes.push(change);
  }

  const leaderChanged = before.leaderId !== after.leaderId;
  return {
    previousLeaderId: before.leaderId,
    leaderId: after.leaderId,
    leaderChanged,
    added,
    removed,
    changes,
    changed: leaderChanged || added.length > 0 || removed.length > 0 || changes.length > 0 || before.topology !== after.topology,
  };
}

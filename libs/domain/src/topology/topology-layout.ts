import { AgentRole, isLive } from '../agent/agent.types';
import { electLeader } from '../agent/leader-election';
import { ValidationFailed } from '../errors/domain-error';
import {
  DEFAULT_MAX_CHILDREN_PER_PARENT,
  TopologyLayout,
  TopologyMember,
  TopologyNode,
  TopologyOptions,
} from './topology.types';

/** Join order: the order every worker copy agrees on without talking. */
export function compareJoinOrder(a: TopologyMember, b: TopologyMember): number {
  return a.joinedAt - b.joinedAt || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);
}

export function resolveMaxChildren(options: TopologyOptions): number {
  const ratio = options.maxChildrenPerParent ?? DEFAULT_MAX_CHILDREN_PER_PARENT;
  if (!Number.isInteger(ratio) || ratio < 1) {
    throw new ValidationFailed(`maxChildrenPerParent must be an integer of at least 1 (got ${ratio})`);
  }
  return ratio;
}

/**
 * Picks the leader. A live agent pinned as coordinator wins; otherwise a live previous leader
 * keeps the post (re-electing on every CPU wobble would make the leader flap); otherwise the
 * shared election runs, first among members not pinned to a lesser role.
 */
export function chooseLeader(members: TopologyMember[], previousLeaderId: string | null = null): string | null {
  const live = [...members].filter((m) => isLive(m.status)).sort(compareJoinOrder);
  const pinned = live.find((m) => m.pinnedRole === 'coordinator');
  if (pinned) return pinned.agentId;
  const previous = live.find((m) => m.agentId === previousLeaderId);
  if (previous && previous.pinnedRole === undefined) return previous.agentId;
  return electLeader(live.filter((m) => m.pinnedRole === undefined)) ?? electLeader(live);
}

/** Builds a layout from scratch: deterministic for the same members and options. */
export function buildTopologyLayout(members: TopologyMember[], options: TopologyOptions): TopologyLayout {
  const ratio = resolveMaxChildren(options);
  const sorted = uniqueMembers(members);
  const leaderId = chooseLeader(sorted);
  const slots = leaderId === null ? [] : [leaderId, ...liveIds(sorted).filter((id) => id !== leaderId)];
  return assembleLayout(sorted, options, ratio, leaderId, slots);
}

/**
 * Turns members, a leader and (hierarchical) tree slots into a layout. Repair uses it too,
 * handing in slots it patched instead of freshly laid ones.
 */
export function assembleLayout(
  sortedMembers: TopologyMember[],
  options: TopologyOptions,
  ratio: number,
  leaderId: string | null,
  treeSlots: string[],
): TopologyLayout {
  const live = liveIds(sortedMembers);
  const links = new Map<string, Set<string>>(sortedMembers.map((m) => [m.agentId, new Set<string>()]));
  const link = (a: string, b: string) => {
    if (a === b) return;
    links.get(a)!.add(b);
    links.get(b)!.add(a);
  };
  const parents = new Map<string, string>();
  const levels = new Map<string, number>();
  let order: string[];

  switch (options.topology) {
    case 'star':
      order = leaderId === null ? [] : [leaderId, ...live.filter((id) => id !== leaderId)];
      order.slice(1).forEach((id) => link(leaderId!, id));
      order.forEach((id, i) => levels.set(id, i === 0 ? 0 : 1));
      break;
    case 'mesh':
      order = sortedMembers.map((m) => m.agentId);
      // Everyone live, filled in below from one sorted list: pairwise links would cost n² set
      // inserts, which a thousand-member mesh pays on every repair.
      break;
    case 'ring': {
      order = rotateToStart(sortedMembers.map((m) => m.agentId), leaderId);
      // Links skip members that are not live, so the ring closes around a failed agent.
      const liveInRingOrder = order.filter((id) => live.includes(id));
      if (liveInRingOrder.length > 1) {
        liveInRingOrder.forEach((id, i) => link(id, liveInRingOrder[(i + 1) % liveInRingOrder.length]));
      }
      break;
    }
    case 'hierarchical':
      order = treeSlots;
      order.forEach((id, slot) => {
        if (slot === 0) {
          levels.set(id, 0);
          return;
        }
        const parent = order[parentSlot(slot, ratio)];
        parents.set(id, parent);
        levels.set(id, levels.get(parent)! + 1);
        link(parent, id);
      });
      break;
  }

  const meshPeers = options.topology === 'mesh' ? [...live].sort() : [];
  const liveSet = new Set(live);
  const nodes = sortedMembers.map((m): TopologyNode => {
    const node = {
      agentId: m.agentId,
      name: m.name ?? m.agentId,
      role: assignRole(m, leaderId, options, order, ratio),
      status: m.status,
      parentId: parents.get(m.agentId) ?? null,
      level: levels.get(m.agentId) ?? null,
    } as TopologyNode;
    if (options.topology !== 'mesh') {
      node.neighbours = [...links.get(m.agentId)!].sort();
      return node;
    }
    // Worked out when first read: a repair of a thousand-member mesh never reads them, and
    // building them all would be a million entries.
    let peers: string[] | undefined;
    return Object.defineProperty(node, 'neighbours', {
      enumerable: true,
      get: () => (peers ??= liveSet.has(m.agentId) ? meshPeers.filter((id) => id !== m.agentId) : []),
    });
  });
  return { topology: options.topology, maxChildrenPerParent: ratio, leaderId, order, nodes };
}

/** Slot k of a breadth-first tree with `ratio` children per parent hangs under this slot. */
export function parentSlot(slot: number, ratio: number): number {
  return Math.floor((slot - 1) / ratio);
}

/**
 * Only the leader is the coordinator: an agent pinned as coordinator while another leads
 * keeps its structural role. Any other pin wins over the structure.
 */
function assignRole(
  member: TopologyMember,
  leaderId: string | null,
  options: TopologyOptions,
  order: string[],
  ratio: number,
): AgentRole {
  if (member.agentId === leaderId) return 'coordinator';
  if (member.pinnedRole && member.pinnedRole !== 'coordinator') return member.pinnedRole;
  // Nobody leads yet (the pinned agent has not come up): it is the coordinator in waiting.
  if (member.pinnedRole === 'coordinator' && leaderId === null) return 'coordinator';
  if (options.topology !== 'hierarchical') return 'worker';
  const slot = order.indexOf(member.agentId);
  const hasChildren = slot >= 0 && slot * ratio + 1 < order.length;
  return hasChildren ? 'supervisor' : 'worker';
}

export function uniqueMembers(members: TopologyMember[]): TopologyMember[] {
  const seen = new Set<string>();
  return [...members].sort(compareJoinOrder).filter((m) => !seen.has(m.agentId) && seen.add(m.agentId));
}

function liveIds(sortedMembers: TopologyMember[]): string[] {
  return sortedMembers.filter((m) => isLive(m.status)).map((m) => m.agentId);
}

function rotateToStart(ids: string[], start: string | null): string[] {
  const at = start === null ? -1 : ids.indexOf(start);
  return at <= 0 ? ids : [...ids.slice(at), ...ids.slice(0, at)];
}

export function findNode(layout: TopologyLayout, agentId: string): TopologyNode | undefined {
  return layout.nodes.find((n) => n.agentId === agentId);
}

/**
 * The ring pipeline: live members in ring order, starting at `from` (default: the leader),
 * or just after it when `includeStart` is false. Unhealthy members are skipped, not waited on.
 */
export function ringPipeline(
  layout: TopologyLayout,
  from: string | null = layout.leaderId,
  includeStart = true,
): string[] {
  if (layout.topology !== 'ring') {
    throw new ValidationFailed(`A pipeline needs a ring topology, not ${layout.topology}`);
  }
  const rotated = rotateToStart(layout.order, from);
  const path = includeStart || from === null || rotated[0] !== from ? rotated : rotated.slice(1);
  return path.filter((id) => isLive(findNode(layout, id)!.status));
}

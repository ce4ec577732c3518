import { isLive } from '../agent/agent.types';
import { Conflict } from '../errors/domain-error';
import { findNode } from './topology-layout';
import { TopologyLayout } from './topology.types';

export type DelegationDecision =
  | { allowed: true; rule: string; targets: string[] }
  | { allowed: false; rule: string; message: string };

/**
 * Whom an agent may hand parts of its task to, by topology: a hierarchy's supervisor (or the
 * coordinator) its own children, a star's coordinator its workers, a mesh's member any live
 * peer, a ring's member its neighbours (successor first). Only live agents, sorted.
 */
export function delegationTargets(layout: TopologyLayout, delegatorId: string): DelegationDecision {
  const node = findNode(layout, delegatorId);
  if (!node) return { allowed: false, rule: 'membership.unknown_sender', message: `${delegatorId} is not a member of this swarm` };
  const live = (id: string) => {
    const other = findNode(layout, id);
    return other !== undefined && isLive(other.status);
  };
  switch (layout.topology) {
    case 'hierarchical': {
      const children = layout.nodes.filter((n) => n.parentId === delegatorId && isLive(n.status)).map((n) => n.agentId).sort();
      return children.length > 0
        ? { allowed: true, rule: 'hierarchical.delegate_to_children', targets: children }
        : { allowed: false, rule: 'hierarchical.delegate_to_children', message: `${delegatorId} has no live children to delegate to` };
    }
    case 'star':
      if (layout.leaderId !== delegatorId) {
        return { allowed: false, rule: 'star.coordinator_distributes', message: `In a star only the coordinator hands out work; ${delegatorId} is a worker` };
      }
      return nonEmpty('star.coordinator_distributes', node.neighbours.filter(live), delegatorId);
    case 'mesh':
      return nonEmpty('mesh.hand_over_to_peer', node.neighbours.filter(live), delegatorId);
    case 'ring': {
      const order = layout.order.filter(live);
      const at = order.indexOf(delegatorId);
      const successor = at >= 0 && order.length > 1 ? order[(at + 1) % order.length] : undefined;
      const rest = node.neighbours.filter((id) => id !== successor && live(id));
      return nonEmpty('ring.delegate_to_neighbours', successor ? [successor, ...rest] : rest, delegatorId);
    }
  }
}

function nonEmpty(rule: string, targets: string[], delegatorId: string): DelegationDecision {
  return targets.length > 0 ? { allowed: true, rule, targets } : { allowed: false, rule, message: `${delegatorId} has nobody it may hand work to right now` };
}

/**
 * Spreads subtasks over the targets round robin, each to a target that has the subtask's
 * capabilities. Throws Conflict naming a subtask no target can run.
 */
export function spreadSubtasks(targets: Array<{ agentId: string; capabilities: readonly string[] }>, required: ReadonlyArray<readonly string[]>): string[] {
  const given = new Map(targets.map((t) => [t.agentId, 0]));
  return required.map((caps, index) => {
    const capable = targets.filter((t) => caps.every((c) => t.capabilities.includes(c)));
    if (capable.length === 0) throw new Conflict(`subtasks.${index}: none of the agents this one may delegate to has capabilities [${caps.join(', ')}]`);
    // The least given so far, then target order: an even spread, reproducible.
    const chosen = capable.reduce((best, t) => (given.get(t.agentId)! < given.get(best.agentId)! ? t : best));
    given.set(chosen.agentId, given.get(chosen.agentId)! + 1);
    return chosen.agentId;
  });
}

import { AgentRole, AgentStatus } from '../agent/agent.types';
import { LeaderCandidate } from '../agent/leader-election';
import { SwarmTopology } from '../swarm/swarm.types';

/** One swarm member as the topology sees it: the election facts plus an optional pinned role. */
export interface TopologyMember extends LeaderCandidate {
  /** Display name; rendered as-is (escaped) in diagrams. Falls back to the id. */
  name?: string;
  /** A role pinned through the API; wins over the role the topology would assign. */
  pinnedRole?: AgentRole;
}

export interface TopologyOptions {
  topology: SwarmTopology;
  /** Hierarchical only: how many children one parent may have. */
  maxChildrenPerParent?: number;
}

/** Three children per parent keeps a supervisor's fan-out small without a deep tree. */
export const DEFAULT_MAX_CHILDREN_PER_PARENT = 3;

export interface TopologyNode {
  agentId: string;
  name: string;
  role: AgentRole;
  status: AgentStatus;
  /** Hierarchical only: the agent this one reports to. */
  parentId: string | null;
  /** Depth from the coordinator (star and hierarchical); null where levels mean nothing. */
  level: number | null;
  /** Everyone this agent may message directly, sorted. Empty for members that are not live. */
  neighbours: string[];
}

export interface TopologyLayout {
  topology: SwarmTopology;
  maxChildrenPerParent: number;
  leaderId: string | null;
  /**
   * The structural order: star = [leader, ...workers]; ring = travel order starting at the
   * leader; hierarchical = tree slots breadth-first (slot k's parent is slot floor((k-1)/ratio));
   * mesh = join order.
   */
  order: string[];
  /** One entry per member, in join order (joinedAt, then id). */
  nodes: TopologyNode[];
}

export interface ValueChange<T> {
  from: T;
  to: T;
}

export interface AgentTopologyChange {
  agentId: string;
  role?: ValueChange<AgentRole>;
  parentId?: ValueChange<string | null>;
  neighbours?: { added: string[]; removed: string[] };
}

export interface TopologyDiff {
  previousLeaderId: string | null;
  leaderId: string | null;
  leaderChanged: boolean;
  added: string[];
  removed: string[];
  changes: AgentTopologyChange[];
  /** True when anything a caller would announce as `topology_changed` differs. */
  changed: boolean;
}

export interface TopologyTransition {
  layout: TopologyLayout;
  diff: TopologyDiff;
}

export type MessageTarget = string | 'broadcast';

export type MessageDecision =
  | { allowed: true; rule: string; message: string; recipients: string[] }
  | { allowed: false; rule: string; message: string };

export type TopologyEdgeKind = 'coordinates' | 'peer' | 'parent_child' | 'ring';

export interface TopologyGraphNode {
  agent_id: string;
  name: string;
  role: AgentRole;
  status: AgentStatus;
  level?: number;
}

export interface TopologyGraphEdge {
  from: string;
  to: string;
  kind: TopologyEdgeKind;
}

export interface TopologyGraph {
  topology: SwarmTopology;
  nodes: TopologyGraphNode[];
  edges: TopologyGraphEdge[];
}

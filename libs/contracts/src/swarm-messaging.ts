/** Server → agent `swarm.topology`: the agent's place in a swarm, sent when it changes. */
export interface SwarmTopologyPayload {
  swarm_id: string;
  topology: 'star' | 'mesh' | 'hierarchical' | 'ring';
  role: 'coordinator' | 'supervisor' | 'worker';
  leader_id: string | null;
  /** Hierarchical: the agent this one reports to. */
  parent_id: string | null;
  /** Who this agent may message directly; null in a mesh, where it is every live member. */
  neighbours: string[] | null;
}

/** Agent → server `swarm.message`: to one agent of the swarm, or to everyone it may reach. */
export interface SwarmMessageRequest {
  swarm_id: string;
  to?: string;
  broadcast?: boolean;
  payload: unknown;
}

/** Server → agent `swarm.message`: a message from another member. */
export interface SwarmMessageDelivery {
  message_id: string;
  swarm_id: string;
  from: string;
  /** The addressed agent, or null for a broadcast. */
  to: string | null;
  broadcast: boolean;
  payload: unknown;
  sent_at: string;
}

/** The ack of a sent message. A refusal comes as {ok:false, error:{code:'forbidden_by_topology', rule}}. */
export interface SwarmMessageAck {
  message_id: string;
  rule: string;
  recipients: string[];
}

/** Biggest JSON payload of one agent-to-agent message. */
export const SWARM_MESSAGE_PAYLOAD_MAX_BYTES = 64 * 1024;

export const SWARM_TOPOLOGIES = ['star', 'mesh', 'hierarchical', 'ring'] as const;
export type SwarmTopology = (typeof SWARM_TOPOLOGIES)[number];

export const SWARM_STATUSES = ['inactive', 'active', 'degraded', 'terminated'] as const;
export type SwarmStatus = (typeof SWARM_STATUSES)[number];

export const DISTRIBUTION_ALGORITHMS = [
  'round_robin',
  'capability_match',
  'least_loaded',
  'affinity',
  'priority_queue',
] as const;
export type DistributionAlgorithm = (typeof DISTRIBUTION_ALGORITHMS)[number];

export interface SwarmConfiguration {
  min_agents: number;
  max_agents: number;
  heartbeat_interval_ms: number;
  /** No heartbeat for this long marks an agent unhealthy. */
  heartbeat_timeout_ms: number;
  /** How long an unhealthy agent may come back before it is removed and its work moved. */
  failover_grace_ms: number;
  task_timeout_ms: number;
  max_task_attempts: number;
  distribution_algorithm: DistributionAlgorithm;
  /** Hierarchical topology: how many children one coordinator or supervisor may have. */
  max_children_per_parent: number;
}

/** Swarm lifecycle event types written to swarm_events and pushed to operators. */
export const SwarmEventType = {
  Created: 'swarm_created',
  Updated: 'swarm_updated',
  Terminated: 'swarm_terminated',
  TeardownCompleted: 'swarm_teardown_completed',
} as const;
export type SwarmEventType = (typeof SwarmEventType)[keyof typeof SwarmEventType];

/**
 * Every BullMQ queue and job name, declared once. Processors implement a handler map typed
 * as Record<JobName, ...>, so a job without a handler does not compile.
 */
export const Queues = {
  SwarmLifecycle: 'swarm-lifecycle',
  AgentHealth: 'agent-health',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

export const SwarmLifecycleJobs = {
  Teardown: 'swarm.teardown',
} as const;
export type SwarmLifecycleJob = (typeof SwarmLifecycleJobs)[keyof typeof SwarmLifecycleJobs];

export interface SwarmTeardownJobData {
  swarmId: string;
  ownerId: string;
  requestId?: string;
}

export const AgentHealthJobs = {
  /** Periodic: one run per period across all worker copies (a BullMQ job scheduler). */
  Sweep: 'health.sweep',
  Connected: 'agent.connected',
  Disconnected: 'agent.disconnected',
} as const;
export type AgentHealthJob = (typeof AgentHealthJobs)[keyof typeof AgentHealthJobs];

export interface AgentConnectionJobData {
  agentId: string;
  /** When the gateway saw it (ms): a late job must not undo a newer connection. */
  at: number;
  reason?: string;
}

/** Job ids double as de-duplication keys. */
export const jobIds = {
  swarmTeardown: (swarmId: string) => `swarm-teardown-${swarmId}`,
  healthSweepScheduler: 'health-sweep',
};

/** How often the health monitor sweeps; a dead agent is noticed within timeout + this. */
export const HEALTH_SWEEP_INTERVAL_MS = 1_000;

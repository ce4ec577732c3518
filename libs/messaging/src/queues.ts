/**
 * Every BullMQ queue and job name, declared once. Processors implement a handler map typed
 * as Record<JobName, ...>, so a job without a handler does not compile; the registry check at
 * start-up catches a queue that two processors (or none) claim.
 */
export const Queues = {
  SwarmLifecycle: 'swarm-lifecycle',
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

export const JOBS_BY_QUEUE: Record<QueueName, readonly string[]> = {
  [Queues.SwarmLifecycle]: Object.values(SwarmLifecycleJobs),
};

/** Job ids double as de-duplication keys: one teardown per swarm, however often it is asked. */
export const jobIds = {
  swarmTeardown: (swarmId: string) => `swarm-teardown-${swarmId}`,
};

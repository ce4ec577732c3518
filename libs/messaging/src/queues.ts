/**
 * Every BullMQ queue and job name, declared once. Processors implement a handler map typed
 * as Record<JobName, ...>, so a job without a handler does not compile.
 */
export const Queues = {
  SwarmLifecycle: 'swarm-lifecycle',
  AgentHealth: 'agent-health',
  MetricsRollup: 'metrics-rollup',
  TaskMaintenance: 'task-maintenance',
  ConsensusDeadlines: 'consensus-deadlines',
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

export const MetricsRollupJobs = {
  /** Roll up closed buckets of one window into swarm_metrics (scheduled, or one bucket on demand). */
  Rollup: 'metrics.rollup',
} as const;
export type MetricsRollupJob = (typeof MetricsRollupJobs)[keyof typeof MetricsRollupJobs];

export interface MetricsRollupJobData {
  window: '1m' | '5m' | '1h';
  /** Recompute exactly this bucket (ms, aligned on the window). Absent: every closed bucket not yet done. */
  bucketStart?: number;
}

/**
 * One job scheduler per roll-up window (one run per period across all worker copies), each a
 * little after its buckets close (in UTC) so late-committing rows are in; cron with seconds.
 */
export const METRICS_ROLLUP_SCHEDULES: ReadonlyArray<{ id: string; window: MetricsRollupJobData['window']; pattern: string }> = [
  { id: 'metrics-rollup-1m', window: '1m', pattern: '15 * * * * *' },
  { id: 'metrics-rollup-5m', window: '5m', pattern: '20 */5 * * * *' },
  { id: 'metrics-rollup-1h', window: '1h', pattern: '30 0 * * * *' },
];

/** Redis sorted set: roll-up window → start (ms) of the newest bucket rolled up for every swarm. */
export const metricsRollupDoneKey = (prefix: string) => `${prefix}:metrics:rollup-done`;

export const TaskMaintenanceJobs = {
  /** Periodic: fail attempts past their deadline (ack or timeout_ms). */
  ExpireAttempts: 'tasks.expire-attempts',
  /** Periodic: put back what Redis lost, drop what Postgres does not confirm. */
  Reconcile: 'tasks.reconcile',
} as const;
export type TaskMaintenanceJob = (typeof TaskMaintenanceJobs)[keyof typeof TaskMaintenanceJobs];

export const TASK_MAINTENANCE_SCHEDULES: ReadonlyArray<{ id: string; job: TaskMaintenanceJob; everyMs: number }> = [
  { id: 'tasks-expire-attempts', job: TaskMaintenanceJobs.ExpireAttempts, everyMs: 1_000 },
  { id: 'tasks-reconcile', job: TaskMaintenanceJobs.Reconcile, everyMs: 5_000 },
];

export const ConsensusDeadlineJobs = {
  /** Delayed to a proposal's deadline: closes it on the votes cast if still open. */
  Close: 'consensus.close-at-deadline',
  /** Periodic safety net: closes every open proposal past its deadline (a lost or late delayed job). */
  Sweep: 'consensus.sweep-overdue',
} as const;
export type ConsensusDeadlineJob = (typeof ConsensusDeadlineJobs)[keyof typeof ConsensusDeadlineJobs];

export interface ConsensusCloseJobData {
  proposalId: string;
}

export const consensusJobIds = {
  close: (proposalId: string) => `consensus-close-${proposalId}`,
  sweepScheduler: 'consensus-sweep-overdue',
};

/** A proposal whose delayed job was lost is closed at most this long after its deadline. */
export const CONSENSUS_SWEEP_INTERVAL_MS = 1_000;

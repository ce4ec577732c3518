import type { DistributionAlgorithm } from '../swarm/swarm.types';

export const TASK_STATUSES = ['pending', 'queued', 'assigned', 'running', 'completed', 'failed', 'cancelled', 'timed_out'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'timed_out'];
export const IN_FLIGHT_TASK_STATUSES: readonly TaskStatus[] = ['assigned', 'running'];

export const DEPENDENCY_TYPES = ['completion', 'success'] as const;
/** success: the dependant runs only if the prerequisite completed; completion: once it is final. */
export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

export const TASK_PRIORITY = { min: 1, max: 10, default: 5 } as const;

/** A ready task as the distributor sees it. */
export interface DispatchTask {
  id: string;
  taskType: string;
  /** 1..10, higher first. */
  priority: number;
  requiredCapabilities: readonly string[];
  /** When it became dispatchable (ms since the epoch): older first within a priority. */
  queuedAt: number;
}

/** An agent that may receive work in this swarm (connected, active member). */
export interface DispatchAgent {
  id: string;
  capabilities: readonly string[];
  maxConcurrency: number;
  /** Attempts it holds now. */
  inFlight: number;
  /** Tasks already planned for it (its backlog). */
  planned: number;
}

/** What an agent has shown on one task type (agent_task_stats). */
export interface AgentTypeStats {
  completed: number;
  failed: number;
  /** Recent success rate 0..1, exponentially weighted. */
  successRate: number;
  /** Recent execution latency, exponentially weighted; null before the first success. */
  latencyMs: number | null;
}

export interface PlanContext {
  algorithm: DistributionAlgorithm;
  /** round_robin's position, carried from one cycle to the next. */
  roundRobinCursor: number;
  /** agentId → taskType → stats; only affinity reads it. */
  stats: ReadonlyMap<string, ReadonlyMap<string, AgentTypeStats>>;
  /** Planned tasks an agent may hold beyond its in-flight ones; default its max_concurrency. */
  backlogLimit?: (agent: DispatchAgent) => number;
}

export interface Placement {
  taskId: string;
  agentId: string;
}

export interface WaitingTask {
  taskId: string;
  /** Shown to users as the task's wait_reason. */
  reason: string;
}

export interface Plan {
  placements: Placement[];
  /** Tasks no agent can take now, with why; tasks merely behind a full backlog are not listed. */
  waiting: WaitingTask[];
  roundRobinCursor: number;
}

/** A task in some agent's backlog, seen by an idle agent looking for work to steal. */
export interface BacklogEntry {
  task: DispatchTask;
  agentId: string;
}

export interface Steal {
  taskId: string;
  fromAgentId: string;
  toAgentId: string;
}

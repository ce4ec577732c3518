import { decideRedundantResults, RedundantConsensusOptions } from '../consensus/redundant-results';
import { Conflict, ValidationFailed } from '../errors/domain-error';
import { FINAL_TASK_STATUSES, TaskStatus } from './task.types';

/** Every agent implicitly has this capability: a task requiring it can only run on that agent. */
export const AGENT_CAPABILITY_PREFIX = 'agent:';

export function agentCapability(agentId: string): string {
  return `${AGENT_CAPABILITY_PREFIX}${agentId}`;
}

/** The agent a capability list pins its task to, if any. */
export function pinnedAgentOf(capabilities: readonly string[]): string | null {
  const pin = capabilities.find((c) => c.startsWith(AGENT_CAPABILITY_PREFIX));
  return pin ? pin.slice(AGENT_CAPABILITY_PREFIX.length) : null;
}

export const REDUNDANCY_REPLICAS = { min: 2, max: 10 } as const;
export const REDUNDANCY_ALGORITHMS = ['majority', 'super_majority', 'unanimous', 'weighted'] as const;
export type RedundancyAlgorithm = (typeof REDUNDANCY_ALGORITHMS)[number];

/** How a redundant task is run and decided; stored on the parent task. */
export interface RedundancySpec {
  replicas: number;
  algorithm: RedundancyAlgorithm;
  /** super_majority only. */
  threshold?: number;
  /** null: whole results must be equal; otherwise the value at this dotted path. */
  matchField: string | null;
  /** The distinct agents the replicas were given to, in replica order. */
  agents: string[];
}

/** Checks `redundancy` and `consensus` of a submitted task; throws ValidationFailed naming the field. */
export function resolveRedundancy(replicas: unknown, consensus: unknown): Omit<RedundancySpec, 'agents'> {
  const { min, max } = REDUNDANCY_REPLICAS;
  if (!Number.isInteger(replicas) || (replicas as number) < min || (replicas as number) > max) {
    throw new ValidationFailed(`redundancy must be an integer between ${min} and ${max} (the number of distinct agents to run it on)`);
  }
  const options = (consensus ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) throw new ValidationFailed('consensus must be an object {algorithm, threshold, match_field}');
  const unknown = Object.keys(options).filter((k) => !['algorithm', 'threshold', 'match_field'].includes(k));
  if (unknown.length > 0) throw new ValidationFailed(`consensus.${unknown[0]} is not a consensus setting (algorithm, threshold, match_field)`);
  const algorithm = (options.algorithm ?? 'majority') as RedundancyAlgorithm;
  if (!REDUNDANCY_ALGORITHMS.includes(algorithm)) {
    throw new ValidationFailed(`consensus.algorithm must be one of ${REDUNDANCY_ALGORITHMS.join(', ')}`);
  }
  const spec: Omit<RedundancySpec, 'agents'> = { replicas: replicas as number, algorithm, matchField: null };
  if (options.threshold !== undefined) {
    const threshold = options.threshold;
    if (algorithm !== 'super_majority') throw new ValidationFailed('consensus.threshold applies to the super_majority algorithm only');
    if (typeof threshold !== 'number' || !(threshold > 0.5 && threshold <= 1)) throw new ValidationFailed('consensus.threshold must be a number above 0.5 and at most 1');
    spec.threshold = threshold;
  }
  if (options.match_field !== undefined) {
    const field = options.match_field;
    if (typeof field !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(field) || field.length > 200) {
      throw new ValidationFailed('consensus.match_field must be a dotted path such as "label" or "output.items.0.id"');
    }
    spec.matchField = field;
  }
  return spec;
}

export interface ReplicaCandidate {
  agentId: string;
  capabilities: readonly string[];
  /** Attempts it holds now: the least loaded are chosen first. */
  load: number;
}

/**
 * The distinct agents a redundant task runs on: capable ones, least loaded first (ties by id,
 * so the choice is reproducible). Throws Conflict saying how many were needed and found, and
 * what asked for them (`asking`).
 */
export function chooseReplicaAgents(candidates: ReplicaCandidate[], required: readonly string[], replicas: number, asking = `redundancy ${replicas}`): string[] {
  const capable = candidates
    .filter((c) => required.every((cap) => cap.startsWith(AGENT_CAPABILITY_PREFIX) || c.capabilities.includes(cap)))
    .sort((a, b) => a.load - b.load || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  if (capable.length < replicas) {
    const what = required.length > 0 ? ` with capabilities [${required.join(', ')}]` : '';
    throw new Conflict(`${asking} needs ${replicas} distinct live agents${what}; the swarm has ${capable.length}`, {
      needed: replicas,
      available: capable.length,
    });
  }
  return capable.slice(0, replicas).map((c) => c.agentId);
}

export interface ReplicaState {
  taskId: string;
  agentId: string;
  status: TaskStatus;
  result: unknown;
  error: string | null;
}

/** The record a decided (or undecidable) redundant task keeps: every result and the vote. */
export interface RedundancyRecord {
  status: 'decided' | 'not_reached';
  reason?: string;
  algorithm: RedundancyAlgorithm;
  match: 'exact' | { field: string };
  confidence: number;
  groups: Array<{ matched: unknown; agent_ids: string[]; weight: number }>;
  /** Agents whose result lacked the matched field. */
  unmatched: string[];
  replicas: Array<{ task_id: string; agent_id: string; status: TaskStatus; result: unknown; error: string | null }>;
}

export type RedundancyDecision =
  | { state: 'pending' }
  | { state: 'completed'; result: unknown; record: RedundancyRecord }
  | { state: 'failed'; error: string; record: RedundancyRecord };

/**
 * Votes the replicas' results. Decided as soon as the outstanding replicas could not change
 * the outcome; failed once every replica is final without agreement. A replica that failed is
 * an agent that did not vote.
 */
export function decideReplicas(spec: RedundancySpec, replicas: ReplicaState[], successRates?: Readonly<Record<string, number>>): RedundancyDecision {
  const allFinal = replicas.every((r) => FINAL_TASK_STATUSES.includes(r.status));
  const results = replicas.filter((r) => r.status === 'completed').map((r) => ({ agentId: r.agentId, result: r.result }));
  const options: RedundantConsensusOptions = {
    match: spec.matchField === null ? { kind: 'exact' } : { kind: 'field', field: spec.matchField },
    algorithm: spec.algorithm,
    threshold: spec.threshold,
    successRates,
    assignedAgents: replicas.map((r) => r.agentId),
    deadlinePassed: allFinal,
  };
  const outcome = decideRedundantResults(results, options);
  if (outcome.status === 'pending') return { state: 'pending' };
  const record: RedundancyRecord = {
    status: outcome.reached ? 'decided' : 'not_reached',
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    algorithm: spec.algorithm,
    match: spec.matchField === null ? 'exact' : { field: spec.matchField },
    confidence: outcome.confidence,
    groups: outcome.groups.map((g) => ({ matched: g.matched, agent_ids: g.agentIds, weight: g.weight })),
    unmatched: outcome.unmatched,
    replicas: replicas.map((r) => ({ task_id: r.taskId, agent_id: r.agentId, status: r.status, result: r.result ?? null, error: r.error })),
  };
  if (outcome.reached) return { state: 'completed', result: outcome.result, record };
  const failed = replicas.filter((r) => r.status !== 'completed').length;
  return {
    state: 'failed',
    error: `the ${replicas.length} replicas did not agree (${outcome.reason ?? 'not reached'}; ${results.length} results, ${failed} replicas without one)`,
    record,
  };
}

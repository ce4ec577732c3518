import type { DistributionAlgorithm, SwarmTopology } from '../swarm/swarm.types';

export type RecommendationKind = 'switch_distribution' | 'replace_agent' | 'add_agents' | 'switch_topology';
export type OptimizationGoal = 'speed' | 'efficiency' | 'cost' | 'quality';

export interface NetworkRecommendation {
  rank: number;
  kind: RecommendationKind;
  summary: string;
  /** What applying it changes; null when a person has to act (replace or add agents). */
  change: { distribution_algorithm: 'least_loaded' } | { topology: SwarmTopology } | null;
  evidence: Record<string, unknown>;
  score: number;
}

/** What the network's backing swarm measured, as the rules read it. */
export interface NetworkMeasurements {
  memberIds: string[];
  distributionAlgorithm: DistributionAlgorithm;
  topology: SwarmTopology;
  /** Attempts per agent on the swarm's tasks: all, finished, failed or timed out. */
  attempts: Array<{ agentId: string; attempts: number; finished: number; failed: number }>;
  /** Smoothed success rate per agent and task type, with how many outcomes it rests on. */
  successRates: Array<{ agentId: string; rate: number; outcomes: number }>;
  /** p50s over the window (null without data) and how many tasks they were measured on. */
  queueWait: { p50: number | null; count: number };
  execution: { p50: number | null };
  endToEnd: { p50: number | null; count: number };
}

/** How much each kind of change serves each objective (higher ranks first). */
const WEIGHTS: Record<OptimizationGoal, Record<RecommendationKind, number>> = {
  speed: { add_agents: 3, switch_topology: 3, switch_distribution: 2, replace_agent: 1 },
  efficiency: { switch_distribution: 3, replace_agent: 2, switch_topology: 2, add_agents: 1 },
  cost: { switch_distribution: 3, replace_agent: 2, switch_topology: 1, add_agents: 0.5 },
  quality: { replace_agent: 3, switch_distribution: 1, add_agents: 1, switch_topology: 1 },
};

/** Below these sample sizes a figure says nothing yet. */
export const OPTIMIZATION_MINIMUMS = { attempts: 10, agentAttempts: 5, timedTasks: 5 } as const;
const IMBALANCE_RATIO = 1.5;
const FAILING_SUCCESS_RATE = 0.7;
const FAILING_SHARE = 0.3;
/** No recommendation claims more than this much severity: one outlier must not drown the rest. */
const MAX_SEVERITY = 4;

const round = (n: number) => Math.round(n * 1000) / 1000;

type Finding = Omit<NetworkRecommendation, 'rank' | 'score'> & { severity: number };

/**
 * Recommendations from measured figures, each with its evidence, ranked by how much it serves
 * the objective times how bad the measured problem is:
 * - load imbalance (the busiest agent ≥ 1.5× the mean attempts) → distribute least_loaded;
 * - an agent failing often (success rate < 0.7, or > 30 % of its attempts here failed) → replace it;
 * - tasks waiting longer in the queue than they run (p50s) → add agents;
 * - a ring or tree whose end-to-end p50 is over twice waiting plus running → a star.
 */
export function recommendNetworkChanges(measured: NetworkMeasurements, objective: OptimizationGoal): NetworkRecommendation[] {
  const findings = [...imbalance(measured), ...failingAgents(measured), ...longQueueWaits(measured), ...slowTopology(measured)];
  return findings
    .map(({ severity, ...r }) => ({ ...r, rank: 0, score: round(WEIGHTS[objective][r.kind] * (1 + severity)) }))
    .sort((a, b) => b.score - a.score)
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

function imbalance(m: NetworkMeasurements): Finding[] {
  const perAgent = new Map(m.memberIds.map((id) => [id, 0]));
  for (const row of m.attempts) if (perAgent.has(row.agentId)) perAgent.set(row.agentId, row.attempts);
  const counts = [...perAgent.values()];
  const total = counts.reduce((s, n) => s + n, 0);
  if (counts.length < 2 || total < OPTIMIZATION_MINIMUMS.attempts || m.distributionAlgorithm === 'least_loaded') return [];
  const mean = total / counts.length;
  const max = Math.max(...counts);
  const ratio = max / mean;
  if (ratio < IMBALANCE_RATIO) return [];
  return [
    {
      kind: 'switch_distribution',
      summary: `the busiest agent took ${round(ratio)} times the mean number of attempts: distribute least_loaded instead of ${m.distributionAlgorithm}`,
      change: { distribution_algorithm: 'least_loaded' },
      evidence: { attempts_per_agent: Object.fromEntries(perAgent), max_attempts: max, mean_attempts: round(mean), max_to_mean: round(ratio), distribution_algorithm: m.distributionAlgorithm },
      severity: Math.min(ratio - 1, MAX_SEVERITY),
    },
  ];
}

function failingAgents(m: NetworkMeasurements): Finding[] {
  return m.memberIds.flatMap((agentId): Finding[] => {
    const row = m.attempts.find((a) => a.agentId === agentId);
    const rates = m.successRates.filter((s) => s.agentId === agentId && s.outcomes >= OPTIMIZATION_MINIMUMS.agentAttempts);
    const rate = rates.length === 0 ? null : Math.min(...rates.map((s) => s.rate));
    const share = row && row.finished >= OPTIMIZATION_MINIMUMS.agentAttempts ? row.failed / row.finished : null;
    if (!((rate !== null && rate < FAILING_SUCCESS_RATE) || (share !== null && share > FAILING_SHARE))) return [];
    return [
      {
        kind: 'replace_agent',
        summary: `agent ${agentId} fails often: replace it (remove it and add a healthy agent)`,
        change: null,
        evidence: { agent_id: agentId, success_rate_ewma: rate === null ? null : round(rate), failed_attempts: row?.failed ?? 0, finished_attempts: row?.finished ?? 0, failed_share: share === null ? null : round(share) },
        severity: 1 - Math.min(rate ?? 1, share === null ? 1 : 1 - share),
      },
    ];
  });
}

function longQueueWaits(m: NetworkMeasurements): Finding[] {
  const wait = m.queueWait.p50;
  const run = m.execution.p50;
  if (m.queueWait.count < OPTIMIZATION_MINIMUMS.timedTasks || wait === null || run === null || wait <= run) return [];
  const factor = run > 0 ? wait / run : wait;
  const severity = Math.min(factor - 1, MAX_SEVERITY);
  return [
    {
      kind: 'add_agents',
      summary: `tasks waited ${round(wait)} ms in the queue (p50) against ${round(run)} ms running: add agents`,
      change: null,
      evidence: {
        queue_wait_p50_ms: wait,
        execution_p50_ms: run,
        tasks_measured: m.queueWait.count,
        agents: m.memberIds.length,
        suggested_additional_agents: Math.max(1, Math.ceil(m.memberIds.length * severity)),
      },
      severity,
    },
  ];
}

function slowTopology(m: NetworkMeasurements): Finding[] {
  const endToEnd = m.endToEnd.p50;
  const run = m.execution.p50;
  if ((m.topology !== 'ring' && m.topology !== 'hierarchical') || m.endToEnd.count < OPTIMIZATION_MINIMUMS.timedTasks || endToEnd === null || run === null) return [];
  const direct = run + (m.queueWait.p50 ?? 0);
  if (endToEnd <= 2 * direct) return [];
  return [
    {
      kind: 'switch_topology',
      summary: `end to end took ${round(endToEnd)} ms (p50), over twice waiting plus running (${round(direct)} ms): use a star topology instead of ${m.topology}`,
      change: { topology: 'star' },
      evidence: { topology: m.topology, end_to_end_p50_ms: endToEnd, execution_p50_ms: run, queue_wait_p50_ms: m.queueWait.p50, tasks_measured: m.endToEnd.count },
      severity: Math.min(endToEnd / Math.max(direct, 1) - 1, MAX_SEVERITY),
    },
  ];
}

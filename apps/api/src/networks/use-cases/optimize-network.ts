import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { readStoredConfiguration, SwarmConfigurationInput, SwarmTopology } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { UpdateSwarm } from '../../swarms/use-cases/update-swarm';
import { OptimizationObjective } from '../network.dto';
import { PERFORMANCE_WINDOW } from './get-network-status';
import { NetworkRecords } from './network-records';

type Kind = 'switch_distribution' | 'replace_agent' | 'add_agents' | 'switch_topology';

export interface Recommendation {
  rank: number;
  kind: Kind;
  summary: string;
  /** What applying it changes; absent when a person has to act (replace or add agents). */
  change: SwarmConfigurationInput | { topology: SwarmTopology } | null;
  evidence: Record<string, unknown>;
  score: number;
}

/** How much each kind of change serves each objective (higher ranks first). */
const WEIGHTS: Record<OptimizationObjective, Record<Kind, number>> = {
  speed: { add_agents: 3, switch_topology: 3, switch_distribution: 2, replace_agent: 1 },
  efficiency: { switch_distribution: 3, replace_agent: 2, switch_topology: 2, add_agents: 1 },
  cost: { switch_distribution: 3, replace_agent: 2, switch_topology: 1, add_agents: 0.5 },
  quality: { replace_agent: 3, switch_distribution: 1, add_agents: 1, switch_topology: 1 },
};

/** Below these sample sizes a figure says nothing yet. */
const MIN_ATTEMPTS = 10;
const MIN_AGENT_ATTEMPTS = 5;
const MIN_TIMED_TASKS = 5;
const IMBALANCE_RATIO = 1.5;
const FAILING_SUCCESS_RATE = 0.7;
const FAILING_SHARE = 0.3;

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Recommendations from what the backing swarm measured: attempts per agent, per-agent success,
 * queue waits against execution times, end-to-end latency of multi-hop topologies. Each
 * carries its numbers; `apply` makes the setting changes through UpdateSwarm.
 */
@Injectable()
export class OptimizeNetwork {
  constructor(
    private readonly prisma: PrismaService,
    private readonly records: NetworkRecords,
    private readonly swarmMetrics: GetSwarmMetrics,
    private readonly updateSwarm: UpdateSwarm,
  ) {}

  async execute(actor: Actor, networkId: string, objective: OptimizationObjective, apply: boolean): Promise<Record<string, unknown>> {
    const ownerId = actor.principal.ownerId;
    const { network, swarm, members } = await this.records.load(ownerId, networkId);
    const configuration = readStoredConfiguration(swarm.configuration);
    const memberIds = members.map((m) => m.agentId);

    const attempts = await this.prisma.$queryRaw<Array<{ agent_id: string; attempts: number; finished: number; failed: number }>>`
      SELECT a.agent_id, count(*)::int AS attempts,
        count(*) FILTER (WHERE a.status NOT IN ('assigned', 'running'))::int AS finished,
        count(*) FILTER (WHERE a.status IN ('failed', 'timed_out'))::int AS failed
      FROM task_attempts a JOIN tasks t ON t.id = a.task_id
      WHERE t.swarm_id = ${swarm.id}::uuid AND a.agent_id IS NOT NULL
      GROUP BY a.agent_id`;
    const stats = memberIds.length === 0 ? [] : await this.prisma.agentTaskStats.findMany({ where: { agentId: { in: memberIds } } });
    const metrics = await this.swarmMetrics.execute(ownerId, swarm.id, PERFORMANCE_WINDOW);

    const found: Omit<Recommendation, 'rank' | 'score'>[] = [];
    const severity = new Map<Omit<Recommendation, 'rank' | 'score'>, number>();
    const add = (r: Omit<Recommendation, 'rank' | 'score'>, weight: number) => {
      found.push(r);
      severity.set(r, weight);
    };

    // Load imbalance: some agents get far more attempts than the mean.
    const perAgent = new Map(memberIds.map((id) => [id, 0]));
    for (const row of attempts) if (perAgent.has(row.agent_id)) perAgent.set(row.agent_id, row.attempts);
    const counts = [...perAgent.values()];
    const total = counts.reduce((s, n) => s + n, 0);
    if (counts.length >= 2 && total >= MIN_ATTEMPTS) {
      const mean = total / counts.length;
      const max = Math.max(...counts);
      const ratio = max / mean;
      if (ratio >= IMBALANCE_RATIO && configuration.distribution_algorithm !== 'least_loaded') {
        add(
          {
            kind: 'switch_distribution',
            summary: `the busiest agent took ${round(ratio)} times the mean number of attempts: distribute least_loaded instead of ${configuration.distribution_algorithm}`,
            change: { distribution_algorithm: 'least_loaded' },
            evidence: { attempts_per_agent: Object.fromEntries(perAgent), max_attempts: max, mean_attempts: round(mean), max_to_mean: round(ratio), distribution_algorithm: configuration.distribution_algorithm },
          },
          ratio - 1,
        );
      }
    }

    // Agents that fail often: by their recent success rate, or by the share of failed attempts here.
    for (const agentId of memberIds) {
      const row = attempts.find((a) => a.agent_id === agentId);
      const own = stats.filter((s) => s.agentId === agentId && s.completed + s.failed + s.timedOut >= MIN_AGENT_ATTEMPTS);
      const ewma = own.length === 0 ? null : Math.min(...own.map((s) => s.successRateEwma));
      const share = row && row.finished >= MIN_AGENT_ATTEMPTS ? row.failed / row.finished : null;
      if ((ewma !== null && ewma < FAILING_SUCCESS_RATE) || (share !== null && share > FAILING_SHARE)) {
        add(
          {
            kind: 'replace_agent',
            summary: `agent ${agentId} fails often: replace it (remove it and add a healthy agent)`,
            change: null,
            evidence: { agent_id: agentId, success_rate_ewma: ewma === null ? null : round(ewma), failed_attempts: row?.failed ?? 0, finished_attempts: row?.finished ?? 0, failed_share: share === null ? null : round(share) },
          },
          1 - Math.min(ewma ?? 1, share === null ? 1 : 1 - share),
        );
      }
    }

    // Tasks wait longer in the queue than they take to run: more agents would shorten the wait.
    const wait = metrics.latency_ms.queue_wait;
    const run = metrics.latency_ms.execution;
    if (wait.count >= MIN_TIMED_TASKS && wait.p50 !== null && run.p50 !== null && wait.p50 > run.p50) {
      const factor = run.p50 > 0 ? wait.p50 / run.p50 : wait.p50;
      add(
        {
          kind: 'add_agents',
          summary: `tasks waited ${round(wait.p50)} ms in the queue (p50) against ${round(run.p50)} ms running: add agents`,
          change: null,
          evidence: { queue_wait_p50_ms: wait.p50, execution_p50_ms: run.p50, tasks_measured: wait.count, agents: memberIds.length, suggested_additional_agents: Math.max(1, Math.ceil(memberIds.length * Math.min(factor - 1, 4))) },
        },
        Math.min(factor - 1, 4),
      );
    }

    // Multi-hop topologies: end to end much slower than waiting plus running means the hops cost.
    const endToEnd = metrics.latency_ms.end_to_end;
    if ((swarm.topology === 'ring' || swarm.topology === 'hierarchical') && endToEnd.count >= MIN_TIMED_TASKS && endToEnd.p50 !== null && run.p50 !== null) {
      const direct = run.p50 + (wait.p50 ?? 0);
      if (endToEnd.p50 > 2 * direct) {
        add(
          {
            kind: 'switch_topology',
            summary: `end to end took ${round(endToEnd.p50)} ms (p50), over twice waiting plus running (${round(direct)} ms): use a star topology instead of ${swarm.topology}`,
            change: { topology: 'star' },
            evidence: { topology: swarm.topology, end_to_end_p50_ms: endToEnd.p50, execution_p50_ms: run.p50, queue_wait_p50_ms: wait.p50, tasks_measured: endToEnd.count },
          },
          Math.min(endToEnd.p50 / Math.max(direct, 1) - 1, 4),
        );
      }
    }

    const recommendations: Recommendation[] = found
      .map((r) => ({ ...r, rank: 0, score: round(WEIGHTS[objective][r.kind] * (1 + severity.get(r)!)) }))
      .sort((a, b) => b.score - a.score)
      .map((r, i) => ({ ...r, rank: i + 1 }));

    const applied: Array<{ kind: Kind; change: object }> = [];
    if (apply) {
      const distribution = recommendations.find((r) => r.kind === 'switch_distribution');
      const topology = recommendations.find((r) => r.kind === 'switch_topology');
      if (distribution || topology) {
        await this.updateSwarm.execute({
          actor,
          swarmId: swarm.id,
          configuration: distribution ? (distribution.change as SwarmConfigurationInput) : undefined,
          topology: topology ? (topology.change as { topology: SwarmTopology }).topology : undefined,
        });
        for (const r of [distribution, topology]) if (r) applied.push({ kind: r.kind, change: r.change! });
      }
    }

    const hasData = total > 0 || metrics.tasks_completed + metrics.tasks_failed > 0;
    return {
      network_id: network.id,
      objective,
      window: PERFORMANCE_WINDOW,
      recommendations,
      ...(apply ? { applied } : {}),
      note: !hasData
        ? 'not enough data yet: run tasks on the network first, recommendations come from measured attempts and latencies'
        : recommendations.length === 0
          ? 'nothing to change: the measured figures show no imbalance, failing agent, long queue wait or slow topology'
          : undefined,
      measured: {
        agents: memberIds.length,
        attempts: total,
        tasks_completed: metrics.tasks_completed,
        tasks_failed: metrics.tasks_failed,
        queue_wait_p50_ms: wait.p50,
        execution_p50_ms: run.p50,
        end_to_end_p50_ms: endToEnd.p50,
        distribution_algorithm: configuration.distribution_algorithm,
        topology: swarm.topology,
      },
    };
  }
}

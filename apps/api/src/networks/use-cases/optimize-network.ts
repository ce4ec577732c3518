import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { readStoredConfiguration, RecommendationKind, recommendNetworkChanges, SwarmConfigurationInput, SwarmTopology } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { UpdateSwarm } from '../../swarms/use-cases/update-swarm';
import { OptimizationObjective } from '../network.dto';
import { PERFORMANCE_WINDOW } from './get-network-status';
import { NetworkRecords } from './network-records';

/**
 * Recommendations (recommendNetworkChanges) from what the backing swarm measured: attempts per
 * agent, per-agent success, queue waits against execution times, end-to-end latency of
 * multi-hop topologies. `apply` makes the setting changes through UpdateSwarm.
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

    const recommendations = recommendNetworkChanges(
      {
        memberIds,
        distributionAlgorithm: configuration.distribution_algorithm,
        topology: swarm.topology,
        attempts: attempts.map((a) => ({ agentId: a.agent_id, attempts: a.attempts, finished: a.finished, failed: a.failed })),
        successRates: stats.map((s) => ({ agentId: s.agentId, rate: s.successRateEwma, outcomes: s.completed + s.failed + s.timedOut })),
        queueWait: { p50: metrics.latency_ms.queue_wait.p50, count: metrics.latency_ms.queue_wait.count },
        execution: { p50: metrics.latency_ms.execution.p50 },
        endToEnd: { p50: metrics.latency_ms.end_to_end.p50, count: metrics.latency_ms.end_to_end.count },
      },
      objective,
    );
    const total = attempts.filter((a) => memberIds.includes(a.agent_id)).reduce((sum, a) => sum + a.attempts, 0);
    const wait = metrics.latency_ms.queue_wait;
    const run = metrics.latency_ms.execution;
    const endToEnd = metrics.latency_ms.end_to_end;

    const applied: Array<{ kind: RecommendationKind; change: object }> = [];
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

import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { LiveMetricWindow, ValidationFailed } from '@swarm/domain';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { STATUS_METRIC_GROUPS, StatusMetricGroup } from '../network.dto';
import { executionStatus, NetworkRecords } from './network-records';

/** Performance is measured over this window of the backing swarm's tasks. */
export const PERFORMANCE_WINDOW: LiveMetricWindow = '24h';

export function readMetricGroups(metrics: string | undefined): StatusMetricGroup[] {
  if (metrics === undefined) return [...STATUS_METRIC_GROUPS];
  const asked = metrics.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const unknown = asked.filter((m) => !(STATUS_METRIC_GROUPS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new ValidationFailed(`unknown metrics ${unknown.join(', ')}: choose from ${STATUS_METRIC_GROUPS.join(', ')}`);
  return asked.length === 0 ? [...STATUS_METRIC_GROUPS] : [...new Set(asked as StatusMetricGroup[])];
}

/** Live counts and measured performance of a network, only the groups asked for. */
@Injectable()
export class GetNetworkStatus {
  constructor(
    private readonly prisma: PrismaService,
    private readonly records: NetworkRecords,
    private readonly swarmMetrics: GetSwarmMetrics,
  ) {}

  async execute(ownerId: string, networkId: string, groups: StatusMetricGroup[]): Promise<Record<string, unknown>> {
    const { network, swarm, members } = await this.records.load(ownerId, networkId);
    const answer: Record<string, unknown> = { network_id: network.id, status: swarm.status, swarm_id: swarm.id, topology: swarm.topology };
    if (groups.includes('agents')) {
      const byStatus: Record<string, number> = {};
      for (const m of members) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
      answer.agents = { total: members.length, live: members.filter((m) => m.status === 'idle' || m.status === 'busy').length, by_status: byStatus };
    }
    if (groups.includes('tasks')) {
      const rows = await this.prisma.task.groupBy({ by: ['status'], where: { swarmId: swarm.id, ownerId }, _count: { _all: true } });
      const byStatus: Record<string, number> = {};
      for (const r of rows) byStatus[r.status] = r._count._all;
      answer.tasks = { total: rows.reduce((sum, r) => sum + r._count._all, 0), by_status: byStatus };
    }
    if (groups.includes('executions')) {
      const counts = await this.records.executionCounts(network.id);
      const byStatus: Record<string, number> = {};
      for (const c of counts.values()) {
        const status = executionStatus(c);
        byStatus[status] = (byStatus[status] ?? 0) + 1;
      }
      answer.executions = { total: counts.size, by_status: byStatus };
    }
    if (groups.includes('performance')) {
      const m = await this.swarmMetrics.execute(ownerId, swarm.id, PERFORMANCE_WINDOW);
      const ended = m.tasks_completed + m.tasks_failed;
      answer.performance = {
        window: m.window,
        tasks_completed: m.tasks_completed,
        tasks_failed: m.tasks_failed,
        throughput_per_sec: m.throughput_per_sec,
        success_rate: ended === 0 ? null : m.tasks_completed / ended,
        latency_p50_ms: { queue_wait: m.latency_ms.queue_wait.p50, execution: m.latency_ms.execution.p50, end_to_end: m.latency_ms.end_to_end.p50 },
        agent_utilization: m.agent_utilization,
        error_rate: m.error_rate,
        retry_rate: m.retry_rate,
      };
    }
    return answer;
  }
}

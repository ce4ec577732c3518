import { Injectable } from '@nestjs/common';
import { PrismaService } from '@swarm/db';
import { LiveMetricWindow, ValidationFailed } from '@swarm/domain';
import { GetSwarmMetrics } from '../../metrics/use-cases/get-swarm-metrics';
import { presentPerformanceSummary } from '../../metrics/metrics.presenter';
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
    const { networkId: id, swarm, memberStatuses } = await this.records.summary(ownerId, networkId);
    const answer: Record<string, unknown> = { network_id: id, status: swarm.status, swarm_id: swarm.id, topology: swarm.topology };
    if (groups.includes('agents')) {
      const byStatus: Record<string, number> = {};
      for (const status of memberStatuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
      answer.agents = { total: memberStatuses.length, live: memberStatuses.filter((status) => status === 'idle' || status === 'busy').length, by_status: byStatus };
    }
    // The groups' reads are independent: run together, added in the order above.
    const [tasks, executions, measured] = await Promise.all([
      groups.includes('tasks') ? this.taskCounts(ownerId, swarm.id) : undefined,
      groups.includes('executions') ? this.executionCounts(id) : undefined,
      groups.includes('performance') ? this.performance(ownerId, swarm.id) : undefined,
    ]);
    if (tasks) answer.tasks = tasks;
    if (executions) answer.executions = executions;
    if (measured) answer.performance = measured;
    return answer;
  }

  private async taskCounts(ownerId: string, swarmId: string) {
    const rows = await this.prisma.task.groupBy({ by: ['status'], where: { swarmId, ownerId }, _count: { _all: true } });
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = r._count._all;
    return { total: rows.reduce((sum, r) => sum + r._count._all, 0), by_status: byStatus };
  }

  private async executionCounts(networkId: string) {
    const counts = await this.records.executionCounts(networkId);
    const byStatus: Record<string, number> = {};
    for (const c of counts.values()) {
      const status = executionStatus(c);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    return { total: counts.size, by_status: byStatus };
  }

  private async performance(ownerId: string, swarmId: string) {
    return presentPerformanceSummary(await this.swarmMetrics.execute(ownerId, swarmId, PERFORMANCE_WINDOW));
  }

}

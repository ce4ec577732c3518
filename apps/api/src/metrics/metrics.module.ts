import { Module } from '@nestjs/common';
import { TaskMetricsRepository } from '@swarm/db';
import { AgentStatsController } from './agent-stats.controller';
import { SwarmMetricsController } from './swarm-metrics.controller';
import { GetAgentStats } from './use-cases/get-agent-stats';
import { GetSwarmMetrics } from './use-cases/get-swarm-metrics';
import { GetSwarmMetricsHistory } from './use-cases/get-swarm-metrics-history';

/** Swarm task metrics (live and rolled up) and agent statistics, read from Postgres. */
@Module({
  controllers: [SwarmMetricsController, AgentStatsController],
  providers: [TaskMetricsRepository, GetSwarmMetrics, GetSwarmMetricsHistory, GetAgentStats],
})
export class ApiMetricsModule {}

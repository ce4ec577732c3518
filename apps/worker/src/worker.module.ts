import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import type { AppConfig, WorkerRole } from '@swarm/config';
import { TaskMetricsRepository } from '@swarm/db';
import { Queues } from '@swarm/messaging';
import { PlatformModule } from '@swarm/platform';
import { TaskEngineModule } from '@swarm/task-engine';
import { TopologyModule } from '@swarm/topology';
import { AgentHealthProcessor } from './agent-health/agent-health.processor';
import { ConsensusDeadlineProcessor } from './consensus/consensus-deadline.processor';
import { AgentHealthService } from './agent-health/agent-health.service';
import { InFlightWork } from './agent-health/in-flight-work';
import { HeartbeatPersister } from './heartbeats/heartbeat-persister';
import { MessageLogPersister } from './messages/message-log-persister';
import { MetricsRollupProcessor } from './metrics/metrics-rollup.processor';
import { RollUpSwarmMetrics } from './metrics/roll-up-swarm-metrics';
import { WorkerMetricsServer } from './metrics/worker-metrics-server';
import { SwarmLifecycleProcessor } from './swarm-lifecycle/swarm-lifecycle.processor';
import { TeardownSwarm } from './swarm-lifecycle/teardown-swarm';
import { RedisPolicyGuard } from './redis-policy.guard';
import { AttemptExpiry } from './tasks/attempt-expiry';
import { DispatchCycle } from './tasks/dispatch-cycle';
import { SwarmRosterCache } from './tasks/swarm-roster';
import { TaskDistributor } from './tasks/task-distributor';
import { TaskMaintenanceProcessor } from './tasks/task-maintenance.processor';
import { TaskReconciler } from './tasks/task-reconciler';
import { TaskReportProcessor } from './tasks/task-report-processor';

export const WORKER_SERVICE_NAME = 'swarm-worker';

/** Each role is a queue and its processor; WORKER_ROLES picks which ones this copy runs. */
const ROLE_PROVIDERS: Record<WorkerRole, { queue?: string; providers: Provider[] }> = {
  'swarm-lifecycle': { queue: Queues.SwarmLifecycle, providers: [SwarmLifecycleProcessor, TeardownSwarm] },
  'health-monitor': { queue: Queues.AgentHealth, providers: [AgentHealthProcessor, AgentHealthService, InFlightWork] },
  // Not a queue: a consumer group on the heartbeat stream.
  // Also the agent-to-agent message log: both move Redis streams into Postgres in batches.
  'heartbeat-persister': { providers: [HeartbeatPersister, MessageLogPersister] },
  // Not queues: a blocking loop on the dispatch signal set, and a consumer group on the report stream.
  'task-distributor': { providers: [TaskDistributor, DispatchCycle, SwarmRosterCache] },
  'task-reports': { providers: [TaskReportProcessor] },
  'task-maintenance': { queue: Queues.TaskMaintenance, providers: [TaskMaintenanceProcessor, AttemptExpiry, TaskReconciler] },
  'metrics-rollup': { queue: Queues.MetricsRollup, providers: [MetricsRollupProcessor, RollUpSwarmMetrics, TaskMetricsRepository] },
  'consensus-deadlines': { queue: Queues.ConsensusDeadlines, providers: [ConsensusDeadlineProcessor] },
};

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const roles = config.worker.roles.map((role) => ROLE_PROVIDERS[role]);
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(config, WORKER_SERVICE_NAME),
        TaskEngineModule,
        TopologyModule,
        ...roles.filter((role) => role.queue).map((role) => BullModule.registerQueue({ name: role.queue! })),
      ],
      // WorkerMetricsServer: GET /metrics for Prometheus, whatever the roles (WORKER_METRICS_PORT, 0 = off).
      providers: [RedisPolicyGuard, WorkerMetricsServer, ...roles.flatMap((role) => role.providers)],
    };
  }
}

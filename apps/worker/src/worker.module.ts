import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import type { AppConfig, WorkerRole } from '@swarm/config';
import { Queues } from '@swarm/messaging';
import { PlatformModule } from '@swarm/platform';
import { AgentHealthProcessor } from './agent-health/agent-health.processor';
import { AgentHealthService } from './agent-health/agent-health.service';
import { InFlightWork } from './agent-health/in-flight-work';
import { HeartbeatPersister } from './heartbeats/heartbeat-persister';
import { SwarmLifecycleProcessor } from './swarm-lifecycle/swarm-lifecycle.processor';
import { TeardownSwarm } from './swarm-lifecycle/teardown-swarm';
import { RedisPolicyGuard } from './redis-policy.guard';

export const WORKER_SERVICE_NAME = 'swarm-worker';

/** Each role is a queue and its processor; WORKER_ROLES picks which ones this copy runs. */
const ROLE_PROVIDERS: Record<WorkerRole, { queue?: string; providers: Provider[] }> = {
  'swarm-lifecycle': { queue: Queues.SwarmLifecycle, providers: [SwarmLifecycleProcessor, TeardownSwarm] },
  'health-monitor': { queue: Queues.AgentHealth, providers: [AgentHealthProcessor, AgentHealthService, InFlightWork] },
  // Not a queue: a consumer group on the heartbeat stream.
  'heartbeat-persister': { providers: [HeartbeatPersister] },
};

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const roles = config.worker.roles.map((role) => ROLE_PROVIDERS[role]);
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(config, WORKER_SERVICE_NAME),
        ...roles.filter((role) => role.queue).map((role) => BullModule.registerQueue({ name: role.queue! })),
      ],
      providers: [RedisPolicyGuard, ...roles.flatMap((role) => role.providers)],
    };
  }
}

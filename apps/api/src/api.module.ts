import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import type { AppConfig } from '@swarm/config';
import { Queues } from '@swarm/messaging';
import { PlatformModule } from '@swarm/platform';
import { TaskEngineModule } from '@swarm/task-engine';
import { TopologyModule } from '@swarm/topology';
import { TasksController } from './tasks/tasks.controller';
import { CancelTask } from './tasks/use-cases/cancel-task';
import { SubmitTasks } from './tasks/use-cases/submit-tasks';
import { SubmitRedundantTask } from './tasks/use-cases/submit-redundant-task';
import { SubmitLeaderElectedTask } from './tasks/use-cases/submit-leader-elected-task';
import { SubmitPipelineTask } from './tasks/use-cases/submit-pipeline-task';
import { DelegateSubtasks } from './tasks/use-cases/delegate-subtasks';
import { AgentsController } from './agents/agents.controller';
import { SwarmAgentsController } from './agents/swarm-agents.controller';
import { AgentFactory } from './agents/use-cases/create-agent';
import { GetSwarmHealth } from './agents/use-cases/get-swarm-health';
import { GetSwarmAgent, ListSwarmAgents } from './agents/use-cases/query-agents';
import { RegisterSwarmAgent } from './agents/use-cases/register-swarm-agent';
import { RemoveSwarmAgent } from './agents/use-cases/remove-swarm-agent';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator.service';
import { BootstrapAdmin } from './auth/bootstrap-admin.service';
import { OwnersController } from './auth/owners.controller';
import { CreateApiKey } from './auth/use-cases/create-api-key';
import { CreateOwner } from './auth/use-cases/create-owner';
import { RevokeApiKey } from './auth/use-cases/revoke-api-key';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ApiKeyCache } from './auth/api-key-cache';
import { AgentsGateway } from './gateway/agents.gateway';
import { TaskAssignmentRelay } from './gateway/task-assignment-relay';
import { ApiCopyPresence } from './gateway/api-copy-presence';
import { EventsGateway } from './gateway/events.gateway';
import { SwarmMessageRouter } from './gateway/swarm-message-router';
import { TopologyController } from './topology/topology.controller';
import { ListSwarmMessages } from './topology/use-cases/list-swarm-messages';
import { PinMemberRole } from './topology/use-cases/pin-member-role';
import { HealthController } from './health/health.controller';
import { ApiMetricsModule } from './metrics/metrics.module';
import { ConsensusModule } from './consensus/consensus.module';
import { NetworksModule } from './networks/networks.module';
import { SwarmCliModule } from './swarm-cli/swarm-cli.module';
import { TopologyTemplatesModule } from './topology-templates/topology-templates.module';
import { ReadinessService } from './health/readiness.service';
import { SwarmsController } from './swarms/swarms.controller';
import { CreateSwarm } from './swarms/use-cases/create-swarm';
import { GetSwarm, ListSwarms } from './swarms/use-cases/query-swarms';
import { TerminateSwarm } from './swarms/use-cases/terminate-swarm';
import { UpdateSwarm } from './swarms/use-cases/update-swarm';

export const API_SERVICE_NAME = 'swarm-api';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot(config, API_SERVICE_NAME),
        JwtModule.register({}),
        ApiMetricsModule,
        ConsensusModule,
        NetworksModule,
        SwarmCliModule,
        TaskEngineModule,
        TopologyModule,
        TopologyTemplatesModule,
        // The api only produces these jobs; the worker consumes them.
        BullModule.registerQueue({ name: Queues.SwarmLifecycle }, { name: Queues.AgentHealth }),
      ],
      controllers: [HealthController, AuthController, OwnersController, SwarmsController, SwarmAgentsController, AgentsController, TasksController, TopologyController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        Authenticator,
        ApiKeyCache,
        BootstrapAdmin,
        ReadinessService,
        CreateApiKey,
        RevokeApiKey,
        CreateOwner,
        CreateSwarm,
        UpdateSwarm,
        TerminateSwarm,
        GetSwarm,
        ListSwarms,
        AgentFactory,
        RegisterSwarmAgent,
        RemoveSwarmAgent,
        ListSwarmAgents,
        GetSwarmAgent,
        GetSwarmHealth,
        SubmitTasks,
        SubmitRedundantTask,
        SubmitLeaderElectedTask,
        SubmitPipelineTask,
        DelegateSubtasks,
        CancelTask,
        AgentsGateway,
        SwarmMessageRouter,
        PinMemberRole,
        ListSwarmMessages,
        TaskAssignmentRelay,
        EventsGateway,
        ApiCopyPresence,
      ],
    };
  }
}

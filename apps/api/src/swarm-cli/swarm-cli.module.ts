import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TaskMetricsRepository } from '@swarm/db';
import { Queues } from '@swarm/messaging';
import { TaskEngineModule } from '@swarm/task-engine';
import { TopologyModule } from '@swarm/topology';
import { AgentFactory } from '../agents/use-cases/create-agent';
import { RegisterSwarmAgent } from '../agents/use-cases/register-swarm-agent';
import { RemoveSwarmAgent } from '../agents/use-cases/remove-swarm-agent';
import { GetSwarmMetrics } from '../metrics/use-cases/get-swarm-metrics';
import { CreateSwarm } from '../swarms/use-cases/create-swarm';
import { SubmitLeaderElectedTask } from '../tasks/use-cases/submit-leader-elected-task';
import { SubmitPipelineTask } from '../tasks/use-cases/submit-pipeline-task';
import { SubmitRedundantTask } from '../tasks/use-cases/submit-redundant-task';
import { SubmitTasks } from '../tasks/use-cases/submit-tasks';
import { SwarmCliController } from './swarm-cli.controller';
import { CoordinateTask } from './use-cases/coordinate-task';
import { CoordinationStates } from './use-cases/coordination-state';
import { JoinSwarm } from './use-cases/join-swarm';
import { SwarmViews } from './use-cases/swarm-views';

/**
 * The aitbc CLI's /swarm endpoints. Built on the swarm, agent, task and metrics use cases,
 * provided here as they are stateless.
 */
@Module({
  imports: [TaskEngineModule, TopologyModule, BullModule.registerQueue({ name: Queues.SwarmLifecycle })],
  controllers: [SwarmCliController],
  providers: [
    AgentFactory,
    RegisterSwarmAgent,
    RemoveSwarmAgent,
    CreateSwarm,
    SubmitTasks,
    SubmitRedundantTask,
    SubmitPipelineTask,
    SubmitLeaderElectedTask,
    TaskMetricsRepository,
    GetSwarmMetrics,
    JoinSwarm,
    CoordinateTask,
    CoordinationStates,
    SwarmViews,
  ],
})
export class SwarmCliModule {}

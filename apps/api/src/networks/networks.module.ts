import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TaskMetricsRepository } from '@swarm/db';
import { Queues } from '@swarm/messaging';
import { TaskEngineModule } from '@swarm/task-engine';
import { TopologyModule } from '@swarm/topology';
import { AgentFactory } from '../agents/use-cases/create-agent';
import { RegisterSwarmAgent } from '../agents/use-cases/register-swarm-agent';
import { GetSwarmMetrics } from '../metrics/use-cases/get-swarm-metrics';
import { CreateSwarm } from '../swarms/use-cases/create-swarm';
import { TerminateSwarm } from '../swarms/use-cases/terminate-swarm';
import { UpdateSwarm } from '../swarms/use-cases/update-swarm';
import { SubmitPipelineTask } from '../tasks/use-cases/submit-pipeline-task';
import { SubmitRedundantTask } from '../tasks/use-cases/submit-redundant-task';
import { SubmitLeaderElectedTask } from '../tasks/use-cases/submit-leader-elected-task';
import { SubmitTasks } from '../tasks/use-cases/submit-tasks';
import { NetworksController } from './networks.controller';
import { CreateNetwork } from './use-cases/create-network';
import { ExecuteNetwork } from './use-cases/execute-network';
import { GetExecution } from './use-cases/get-execution';
import { GetNetworkStatus } from './use-cases/get-network-status';
import { NetworkRecords } from './use-cases/network-records';
import { OptimizeNetwork } from './use-cases/optimize-network';
import { ListWorkflows, RegisterWorkflow } from './use-cases/workflows';
import { WorkflowsController } from './workflows.controller';

/**
 * Agent workflows and networks (the aitbc CLI's /api/v1/agents/workflows and /networks). Built
 * on the swarm, agent, task and metrics use cases, provided here as they are stateless.
 */
@Module({
  imports: [TaskEngineModule, TopologyModule, BullModule.registerQueue({ name: Queues.SwarmLifecycle })],
  controllers: [WorkflowsController, NetworksController],
  providers: [
    AgentFactory,
    RegisterSwarmAgent,
    CreateSwarm,
    UpdateSwarm,
    TerminateSwarm,
    SubmitTasks,
    SubmitRedundantTask,
    SubmitLeaderElectedTask,
    SubmitPipelineTask,
    TaskMetricsRepository,
    GetSwarmMetrics,
    RegisterWorkflow,
    ListWorkflows,
    NetworkRecords,
    CreateNetwork,
    ExecuteNetwork,
    GetExecution,
    GetNetworkStatus,
    OptimizeNetwork,
  ],
})
export class NetworksModule {}

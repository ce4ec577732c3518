import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { AgentRepository } from './repositories/agent.repository';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { ConsensusRepository } from './repositories/consensus.repository';
import { HistoryRepository } from './repositories/history.repository';
import { OwnerRepository } from './repositories/owner.repository';
import { SwarmRepository } from './repositories/swarm.repository';
import { TaskRepository } from './repositories/task.repository';
import { TaskTransitions } from './repositories/task-transitions';
import { TopologyTemplateRepository } from './repositories/topology-template.repository';
import { Sql } from './sql';

const REPOSITORIES = [AgentRepository, ApiKeyRepository, ConsensusRepository, HistoryRepository, OwnerRepository, SwarmRepository, TaskRepository, TaskTransitions, TopologyTemplateRepository];

@Global()
@Module({
  providers: [PrismaService, Sql, ...REPOSITORIES],
  exports: [PrismaService, Sql, ...REPOSITORIES],
})
export class DbModule {}

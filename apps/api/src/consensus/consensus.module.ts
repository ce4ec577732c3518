import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { Queues } from '@swarm/messaging';
import { TaskEngineModule } from '@swarm/task-engine';
import { ConsensusController } from './consensus.controller';
import { ProposalCache } from './proposal-cache';
import { CancelProposal } from './use-cases/cancel-proposal';
import { CastVote } from './use-cases/cast-vote';
import { CreateProposal } from './use-cases/create-proposal';
import { GetConsensusMetrics } from './use-cases/get-consensus-metrics';

/** Consensus proposals over REST, and the votes agents cast on their sockets (CastVote, used by the agents gateway). */
@Module({
  imports: [
    TaskEngineModule,
    // The api only schedules deadline jobs; the worker runs them.
    BullModule.registerQueue({ name: Queues.ConsensusDeadlines }),
  ],
  controllers: [ConsensusController],
  providers: [ProposalCache, CreateProposal, CastVote, CancelProposal, GetConsensusMetrics],
  exports: [CastVote],
})
export class ConsensusModule {}

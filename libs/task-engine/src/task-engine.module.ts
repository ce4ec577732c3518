import { Module } from '@nestjs/common';
import { ConsensusSettlement } from './consensus-settlement';
import { AgentWorkHandback } from './agent-work-handback';
import { ReplicaRebinding } from './replica-rebinding';
import { TaskSettlement } from './task-settlement';
import { LeaderVerificationFlow } from './leader-verification-flow';

/**
 * Transitions shared by the api and the worker: tasks (submit and cancel in the api, the rest
 * in the worker) and consensus proposals (votes and cancel in the api, deadlines in the worker).
 */
@Module({
  providers: [TaskSettlement, ConsensusSettlement, ReplicaRebinding, AgentWorkHandback, LeaderVerificationFlow],
  exports: [TaskSettlement, ConsensusSettlement, ReplicaRebinding, AgentWorkHandback],
})
export class TaskEngineModule {}

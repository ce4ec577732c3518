import { Module } from '@nestjs/common';
import { TaskSettlement } from './task-settlement';

/** Task transitions shared by the api (submit, cancel) and the worker (everything else). */
@Module({ providers: [TaskSettlement], exports: [TaskSettlement] })
export class TaskEngineModule {}

export * from './task-settlement';
export * from './consensus-settlement';
export * from './task-engine.module';
export * from './replica-rebinding';
export * from './agent-work-handback';
export * from './leader-verification-flow';

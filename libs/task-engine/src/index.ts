export * from './task-settlement';
export * from './consensus-settlement';
export * from './task-engine.module';
export * from './replica-rebinding';

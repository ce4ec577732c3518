export * from './task-settlement';
export * from './task-engine.module';

export * from './platform.module';
export * from './project-info';
export * from './graceful-shutdown';

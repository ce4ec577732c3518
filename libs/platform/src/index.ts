export * from './platform.module';
export * from './project-info';

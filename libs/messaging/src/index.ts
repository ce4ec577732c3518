export * from './queues';
export * from './redis-keys';
export * from './redis.module';
export * from './eviction-policy';
export * from './swarm-event-broadcaster';
export * from './broadcast.module';
export * from './agent-live-state';
export * from './agent-socket-commands';

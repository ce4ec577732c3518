export * from './queues';
export * from './redis-keys';
export * from './redis.module';
export * from './eviction-policy';

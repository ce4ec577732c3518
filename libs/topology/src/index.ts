export * from './swarm-topology-sync';
export * from './topology-announcer';
export * from './swarm-layout-reader';
export * from './topology.module';

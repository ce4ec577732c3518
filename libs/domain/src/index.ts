export * from './errors/domain-error';
export * from './swarm/swarm.types';
export * from './swarm/swarm-configuration';
export * from './swarm/swarm-lifecycle';

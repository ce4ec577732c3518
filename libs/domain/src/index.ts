export * from './errors/domain-error';
export * from './swarm/swarm.types';
export * from './swarm/swarm-configuration';
export * from './swarm/swarm-lifecycle';
export * from './agent/agent.types';
export * from './agent/agent-health';
export * from './agent/leader-election';
export * from './agent/swarm-health';

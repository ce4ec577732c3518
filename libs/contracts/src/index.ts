export * from './auth.dto';
export * from './swarm.dto';

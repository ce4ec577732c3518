export * from './auth.dto';
export * from './swarm.dto';
export * from './validation';
export * from './agent-socket';
export * from './agent.dto';
export * from './agent-socket.dto';
export * from './heartbeat-validation';

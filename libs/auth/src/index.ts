export * from './api-key';
export * from './principal';
export * from './agent-token';

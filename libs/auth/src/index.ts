export * from './api-key';
export * from './principal';

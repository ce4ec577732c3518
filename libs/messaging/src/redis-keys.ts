/**
 * Redis key names in one place. Every key starts with the configured prefix so several
 * deployments (or test runs) can share one Redis without colliding.
 */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own prefix: queues live under `<prefix>:bull:<queue>:*`. */
    bullPrefix: `${prefix}:bull`,
    /** socket.io Redis adapter and emitter channels: every api copy and the worker share them. */
    socketIo: `${prefix}:sio`,
    /** Pub/sub channel where api copies announce themselves (apps/api/src/gateway/api-copy-presence.ts). */
    apiCopies: `${prefix}:api-copies`,
    /** Hash of an agent's hot state: last beat, resources, status, connection. */
    agentState: (agentId: string) => `${prefix}:agent:${agentId}`,
    /** Sorted set agent id → last time it was heard from (ms), for the health monitor's scan. */
    agentsLastSeen: `${prefix}:agents:last-seen`,
    /** Swarms whose leader/status must be reconciled at the next health sweep. */
    swarmsToReconcile: `${prefix}:swarms:to-reconcile`,
    /** Stream of heartbeats; the worker persists it to Postgres in batches. */
    heartbeatStream: `${prefix}:heartbeats`,
    /** Task dispatch structures; see docs/TASKS.md. */
    readyQueue: (swarmId: string, requirementClass: string) => `${prefix}:swarm:${swarmId}:ready:${requirementClass}`,
    readyClasses: (swarmId: string) => `${prefix}:swarm:${swarmId}:classes`,
    taskMeta: (swarmId: string) => `${prefix}:swarm:${swarmId}:meta`,
    roundRobinCursor: (swarmId: string) => `${prefix}:swarm:${swarmId}:rr`,
    /** Counter bumped when who may take a swarm's work changes; distributors drop their cached roster. */
    rosterVersion: (swarmId: string) => `${prefix}:swarm:${swarmId}:roster-version`,
    agentBacklog: (agentId: string, swarmId: string) => `${prefix}:agent:${agentId}:backlog:${swarmId}`,
    agentInFlight: (agentId: string) => `${prefix}:agent:${agentId}:inflight`,
    delayedTasks: `${prefix}:tasks:delayed`,
    dispatchDue: `${prefix}:dispatch:due`,
    taskReports: `${prefix}:task-reports`,
    /** Stream of agent-to-agent messages (delivered or refused); the worker writes it to swarm_messages. */
    swarmMessages: `${prefix}:swarm-messages`,
    /** Pub/sub channel: a distributor pass's assignments, grouped by agent, to whichever api copy holds each socket. */
    taskAssignments: `${prefix}:task-assignments`,
    fencingCounter: `${prefix}:fence`,
    /** Bumped on every API key revocation: api copies drop their cached keys when it changes. */
    apiKeyGeneration: `${prefix}:auth:key-generation`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Consumer group of the worker's task report processor. */
export const TASK_REPORTS_GROUP = 'task-reports';
/** Entries kept in the task report stream at most (approximate trim). */
export const TASK_REPORTS_STREAM_MAX_LENGTH = 1_000_000;

/** Consumer group of the heartbeat persister: several workers share the stream's entries. */
export const HEARTBEAT_PERSISTER_GROUP = 'heartbeat-persister';
/** Entries kept in the heartbeat stream at most (approximate trim): a bound on memory. */
export const HEARTBEAT_STREAM_MAX_LENGTH = 1_000_000;

/** Consumer group of the message log persister. */
export const SWARM_MESSAGES_GROUP = 'swarm-message-log';
/** Entries kept in the message stream at most (approximate trim). */
export const SWARM_MESSAGES_STREAM_MAX_LENGTH = 1_000_000;

/**
 * Redis key names in one place. Every key starts with the configured prefix so several
 * deployments (or test runs) can share one Redis without colliding.
 */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own prefix: queues live under `<prefix>:bull:<queue>:*`. */
    bullPrefix: `${prefix}:bull`,
    readinessProbe: `${prefix}:ready-probe`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

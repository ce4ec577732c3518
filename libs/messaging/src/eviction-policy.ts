import type Redis from 'ioredis';

/**
 * BullMQ loses jobs when Redis evicts keys, so anything but noeviction is refused.
 * Managed Redis often disables CONFIG; INFO memory reports the same setting.
 */
export async function readEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    if (reply?.[1]) return reply[1];
  } catch {
    // fall through to INFO
  }
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
}

export function evictionPolicyProblem(policy: string | null): string | null {
  return policy && policy !== 'noeviction'
    ? `Redis maxmemory-policy is ${policy}; it must be noeviction or queued jobs can be evicted (set maxmemory-policy noeviction)`
    : null;
}

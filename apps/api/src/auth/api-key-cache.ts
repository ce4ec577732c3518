import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiKeyWithOwner } from '@swarm/db';
import { REDIS_KEYS, RedisKeys, RedisService } from '@swarm/messaging';

/** An entry is read again from Postgres at the latest after this long, whatever happens. */
const ENTRY_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  row: ApiKeyWithOwner;
  generation: string | null;
  expiresAt: number;
}

/**
 * API key rows seen recently, so a request costs one Redis GET instead of a Postgres lookup.
 * A revocation bumps a generation counter in Redis; every api copy compares it on each request
 * and drops its entries when it changed, so a revoked key stops working at once everywhere.
 * Without Redis the cache is bypassed (every request reads Postgres).
 */
@Injectable()
export class ApiKeyCache {
  private readonly logger = new Logger(ApiKeyCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ApiKeyWithOwner | null>>();

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  /** `lookup` by `cacheKey` (e.g. "prefix:..." or "id:..."), from the cache while still valid. */
  async get(cacheKey: string, lookup: () => Promise<ApiKeyWithOwner | null>): Promise<ApiKeyWithOwner | null> {
    let generation: string | null;
    try {
      generation = await this.redis.client.get(this.keys.apiKeyGeneration);
    } catch (error) {
      this.logger.warn({ err: error }, 'api key generation unavailable; reading the key from Postgres');
      return lookup();
    }
    const now = Date.now();
    const cached = this.entries.get(cacheKey);
    if (cached && cached.generation === generation && cached.expiresAt > now) return cached.row;
    // Concurrent misses of one key (a burst of requests on a cold cache) share one read.
    const loadKey = `${generation}:${cacheKey}`;
    let loading = this.loading.get(loadKey);
    if (!loading) {
      loading = lookup().finally(() => this.loading.delete(loadKey));
      this.loading.set(loadKey, loading);
    }
    const row = await loading;
    if (row && !row.revokedAt) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(cacheKey, { row, generation, expiresAt: now + ENTRY_TTL_MS });
    } else {
      this.entries.delete(cacheKey);
    }
    return row;
  }

  /**
   * After a key was revoked (committed): every copy's cached keys are read again. Without
   * Redis, other copies notice within ENTRY_TTL_MS.
   */
  async invalidate(): Promise<void> {
    this.entries.clear();
    try {
      await this.redis.client.incr(this.keys.apiKeyGeneration);
    } catch (error) {
      this.logger.error({ err: error }, `could not announce a key revocation; other api copies honour it within ${ENTRY_TTL_MS / 1000} s`);
    }
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { apiKeyMatchesHash, parseApiKey, Principal } from '@swarm/auth';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { ApiKeyRepository, ApiKeyWithOwner } from '@swarm/db';
import { ApiKeyCache } from './api-key-cache';

export const JWT_ALGORITHM = 'HS256' as const;
/** last_used_at is coarse (a minute) on purpose: recording every use would be a write per request. */
const LAST_USED_PRECISION_MS = 60_000;

export interface AccessTokenClaims {
  sub: string; // api key id
  own: string; // owner id
  role: Principal['role'];
}

/**
 * Turns request credentials into a Principal, or null. Every failure (no key, unknown key,
 * wrong secret, revoked key, bad or expired token) is the same null, so callers cannot tell
 * which one happened.
 */
@Injectable()
export class Authenticator {
  private readonly logger = new Logger(Authenticator.name);
  /** When this process last recorded each key's use. */
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async fromApiKey(key: string): Promise<Principal | null> {
    const parsed = parseApiKey(key);
    if (!parsed) return null;
    const row = await this.cache.get(`prefix:${parsed.prefix}`, () => this.apiKeys.findByPrefix(parsed.prefix));
    if (!row || row.revokedAt || !apiKeyMatchesHash(key, row.keyHash)) return null;
    this.recordUse(row.id);
    return toPrincipal(row);
  }

  async fromBearerToken(token: string): Promise<Principal | null> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        secret: this.config.auth.jwtSecret,
        algorithms: [JWT_ALGORITHM],
      });
    } catch {
      return null;
    }
    // A revoked key's tokens stop working at once, not when they expire.
    const row = await this.cache.get(`id:${claims.sub}`, () => this.apiKeys.findActiveById(claims.sub));
    if (!row || row.ownerId !== claims.own) return null;
    return toPrincipal(row);
  }

  private recordUse(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(keyId) ?? 0) < LAST_USED_PRECISION_MS) return;
    if (this.lastTouched.size > 10_000) this.lastTouched.clear();
    this.lastTouched.set(keyId, now);
    this.apiKeys.touchLastUsed(keyId, new Date(now)).catch((error: unknown) => this.logger.warn({ err: error }, 'could not record key use'));
  }

  issueToken(principal: Principal): Promise<string> {
    const claims: AccessTokenClaims = { sub: principal.keyId, own: principal.ownerId, role: principal.role };
    return this.jwt.signAsync(claims, {
      secret: this.config.auth.jwtSecret,
      algorithm: JWT_ALGORITHM,
      expiresIn: this.config.auth.jwtTtlSeconds,
    });
  }
}

function toPrincipal(row: ApiKeyWithOwner): Principal {
  return { ownerId: row.ownerId, keyId: row.id, role: row.role, isSystemOwner: row.owner.isSystem };
}

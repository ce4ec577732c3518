import { Injectable } from '@nestjs/common';
import { ApiKey, HistoryRepository, PrismaService } from '@swarm/db';
import { NotFound } from '@swarm/domain';
import { ApiKeyCache } from '../api-key-cache';
import type { Actor } from '../auth.decorators';

@Injectable()
export class RevokeApiKey {
  constructor(
    private readonly prisma: PrismaService,
    private readonly history: HistoryRepository,
    private readonly cache: ApiKeyCache,
  ) {}

  /** Idempotent: revoking a revoked key returns it unchanged and writes no second audit row. */
  async execute(actor: Actor, keyId: string): Promise<ApiKey> {
    const ownerId = actor.principal.ownerId;
    const revoked = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.apiKey.updateMany({
        where: { id: keyId, ownerId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      const key = await tx.apiKey.findFirst({ where: { id: keyId, ownerId } });
      if (!key) throw new NotFound('api key', keyId);
      if (count === 1) {
        await this.history.audit(tx, {
          ownerId,
          actorKeyId: actor.principal.keyId,
          action: 'api_key.revoke',
          resourceType: 'api_key',
          resourceId: keyId,
          requestId: actor.requestId,
        });
      }
      return key;
    });
    // After the commit, or another copy could re-read the key before the revocation is visible.
    await this.cache.invalidate();
    return revoked;
  }
}

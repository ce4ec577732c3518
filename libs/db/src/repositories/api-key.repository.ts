import { Injectable } from '@nestjs/common';
import { ApiKey, Owner } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export type ApiKeyWithOwner = ApiKey & { owner: Owner };

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Used by authentication only: the prefix is global, the owner is learnt from the row. */
  findByPrefix(prefix: string): Promise<ApiKeyWithOwner | null> {
    return this.prisma.apiKey.findUnique({ where: { prefix }, include: { owner: true } });
  }

  findActiveById(id: string): Promise<ApiKeyWithOwner | null> {
    return this.prisma.apiKey.findFirst({ where: { id, revokedAt: null }, include: { owner: true } });
  }

  listForOwner(ownerId: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ where: { ownerId }, orderBy: { createdAt: 'asc' } });
  }

  findForOwner(ownerId: string, id: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findFirst({ where: { id, ownerId } });
  }

  /** Best effort and coarse (once a minute per key) so authentication never waits on a write. */
  touchLastUsed(id: string, at: Date): Promise<unknown> {
    return this.prisma.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - 60_000) } }] },
      data: { lastUsedAt: at },
    });
  }
}

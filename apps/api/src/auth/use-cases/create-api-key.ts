import { Injectable } from '@nestjs/common';
import { ApiKeyRole, generateApiKey } from '@swarm/auth';
import { ApiKey, ApiKeyRepository, HistoryRepository, OwnerRepository, PrismaService } from '@swarm/db';
import { Forbidden, NotFound } from '@swarm/domain';
import type { Actor } from '../auth.decorators';

export interface CreateApiKeyCommand {
  actor: Actor;
  name: string;
  role: ApiKeyRole;
  ownerId?: string;
}

@Injectable()
export class CreateApiKey {
  constructor(
    private readonly prisma: PrismaService,
    private readonly apiKeys: ApiKeyRepository,
    private readonly owners: OwnerRepository,
    private readonly history: HistoryRepository,
  ) {}

  async execute(command: CreateApiKeyCommand): Promise<{ key: string; record: ApiKey }> {
    const { principal } = command.actor;
    const ownerId = command.ownerId ?? principal.ownerId;
    if (ownerId !== principal.ownerId) {
      if (!principal.isSystemOwner) throw new Forbidden('only the system owner may create keys for another owner');
      if (!(await this.owners.findById(ownerId))) throw new NotFound('owner', ownerId);
    }
    const generated = generateApiKey();
    const record = await this.prisma.$transaction(async (tx) => {
      const created = await tx.apiKey.create({
        data: { ownerId, name: command.name, prefix: generated.prefix, keyHash: generated.hash, role: command.role, createdBy: principal.keyId },
      });
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: principal.keyId,
        action: 'api_key.create',
        resourceType: 'api_key',
        resourceId: created.id,
        details: { name: created.name, role: created.role, prefix: created.prefix },
        requestId: command.actor.requestId,
      });
      return created;
    });
    return { key: generated.key, record };
  }
}

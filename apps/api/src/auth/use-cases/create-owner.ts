import { Injectable } from '@nestjs/common';
import { HistoryRepository, Owner, PrismaService } from '@swarm/db';
import { Conflict, Forbidden } from '@swarm/domain';
import { uniqueViolationTarget } from '@swarm/db';
import type { Actor } from '../auth.decorators';

@Injectable()
export class CreateOwner {
  constructor(
    private readonly prisma: PrismaService,
    private readonly history: HistoryRepository,
  ) {}

  async execute(actor: Actor, name: string): Promise<Owner> {
    if (!actor.principal.isSystemOwner) throw new Forbidden('only the system owner may create owners');
    try {
      return await this.prisma.$transaction(async (tx) => {
        const owner = await tx.owner.create({ data: { name } });
        await this.history.audit(tx, {
          ownerId: actor.principal.ownerId,
          actorKeyId: actor.principal.keyId,
          action: 'owner.create',
          resourceType: 'owner',
          resourceId: owner.id,
          details: { name },
          requestId: actor.requestId,
        });
        return owner;
      });
    } catch (error) {
      if (uniqueViolationTarget(error)) throw new Conflict(`an owner named "${name}" already exists`);
      throw error;
    }
  }
}

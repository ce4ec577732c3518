import { Injectable } from '@nestjs/common';
import { HistoryRepository, PrismaService, TopologyTemplateRepository } from '@swarm/db';
import type { Actor } from '../../auth/auth.decorators';
import { assertOwnTemplate } from './own-template';

/**
 * Swarms created from the template keep their topology and configuration; the database only
 * clears their reference to it (ON DELETE SET NULL).
 */
@Injectable()
export class DeleteTopologyTemplate {
  constructor(
    private readonly prisma: PrismaService,
    private readonly templates: TopologyTemplateRepository,
    private readonly history: HistoryRepository,
  ) {}

  async execute(actor: Actor, templateId: string): Promise<void> {
    const { principal, requestId } = actor;
    const ownerId = principal.ownerId;
    await this.prisma.$transaction(async (tx) => {
      const template = await assertOwnTemplate(this.templates, tx, ownerId, templateId, 'deleted');
      await this.templates.delete(tx, ownerId, template.id);
      await this.history.audit(tx, {
        ownerId,
        actorKeyId: principal.keyId,
        action: 'topology_template.delete',
        resourceType: 'topology_template',
        resourceId: template.id,
        details: { name: template.name, topology: template.topology },
        requestId,
      });
    });
  }
}

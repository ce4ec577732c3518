import { Prisma, TopologyTemplate, TopologyTemplateRepository } from '@swarm/db';
import { Forbidden, NotFound } from '@swarm/domain';

/**
 * Locks and returns the caller's own template. A system template is visible but read-only
 * (403 saying so); another owner's reads as absent (404).
 */
export async function assertOwnTemplate(
  templates: TopologyTemplateRepository,
  tx: Prisma.TransactionClient,
  ownerId: string,
  templateId: string,
  verb: 'changed' | 'deleted',
): Promise<TopologyTemplate> {
  const visible = await templates.findVisible(ownerId, templateId, tx);
  if (!visible) throw new NotFound('topology template', templateId);
  if (visible.isSystem) {
    throw new Forbidden(`topology template "${visible.name}" is a system template and cannot be ${verb}; create your own template instead`);
  }
  if (!(await templates.lockOwn(tx, ownerId, templateId))) throw new NotFound('topology template', templateId);
  return (await templates.findVisible(ownerId, templateId, tx))!;
}

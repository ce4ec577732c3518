import { TopologyTemplateRepository } from '@swarm/db';
import { Conflict } from '@swarm/domain';

/**
 * Swarms may name their template, so an owner's template must not share a name with a system
 * one: the name would stop saying which of the two is meant.
 */
export async function assertNotSystemName(templates: TopologyTemplateRepository, name: string): Promise<void> {
  if (await templates.isSystemName(name)) {
    throw new Conflict(`"${name}" is the name of a system topology template; choose another name`);
  }
}

export function duplicateTemplateName(name: string): Conflict {
  return new Conflict(`you already have a topology template named "${name}"`);
}

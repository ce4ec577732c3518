import { Injectable } from '@nestjs/common';
import { HistoryRepository, Prisma, PrismaService, TopologyTemplate, TopologyTemplateRepository, uniqueViolationTarget } from '@swarm/db';
import { SwarmConfigurationInput, SwarmTopology } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { mergeTemplateSettings, readTemplateSettings } from '../template-configuration';
import { assertOwnTemplate } from './own-template';
import { assertNotSystemName, duplicateTemplateName } from './template-names';

export interface UpdateTopologyTemplateCommand {
  actor: Actor;
  templateId: string;
  name?: string;
  description?: string | null;
  topology?: SwarmTopology;
  configuration?: SwarmConfigurationInput;
}

type Change = { from: Prisma.InputJsonValue | null; to: Prisma.InputJsonValue | null };

/** Swarms already created from the template keep their settings: a template is a starting point, not a link. */
@Injectable()
export class UpdateTopologyTemplate {
  constructor(
    private readonly prisma: PrismaService,
    private readonly templates: TopologyTemplateRepository,
    private readonly history: HistoryRepository,
  ) {}

  async execute(command: UpdateTopologyTemplateCommand): Promise<TopologyTemplate> {
    const { principal, requestId } = command.actor;
    const ownerId = principal.ownerId;
    if (command.name !== undefined) await assertNotSystemName(this.templates, command.name);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const current = await assertOwnTemplate(this.templates, tx, ownerId, command.templateId, 'changed');
        const configuration = mergeTemplateSettings(readTemplateSettings(current.configuration), command.configuration);
        const changes = changedFields(current, command, configuration);
        if (Object.keys(changes).length === 0) return current;

        const updated = await this.templates.update(tx, ownerId, current.id, {
          name: command.name,
          description: command.description,
          topology: command.topology,
          configuration: { ...configuration },
        });
        await this.history.audit(tx, {
          ownerId,
          actorKeyId: principal.keyId,
          action: 'topology_template.update',
          resourceType: 'topology_template',
          resourceId: current.id,
          details: { changes },
          requestId,
        });
        return updated;
      });
    } catch (error) {
      if (uniqueViolationTarget(error) && command.name !== undefined) throw duplicateTemplateName(command.name);
      throw error;
    }
  }
}

/** Only what really changes is written and audited, as {from, to} pairs. */
function changedFields(current: TopologyTemplate, command: UpdateTopologyTemplateCommand, configuration: SwarmConfigurationInput): Record<string, Change> {
  const changes: Record<string, Change> = {};
  const compare = (field: string, before: unknown, after: unknown) => {
    if (after !== undefined && JSON.stringify(before ?? null) !== JSON.stringify(after ?? null)) {
      changes[field] = { from: (before ?? null) as Change['from'], to: (after ?? null) as Change['to'] };
    }
  };
  compare('name', current.name, command.name);
  compare('description', current.description, command.description);
  compare('topology', current.topology, command.topology);
  const before = readTemplateSettings(current.configuration);
  const names = new Set([...Object.keys(before), ...Object.keys(configuration)]) as Set<keyof SwarmConfigurationInput>;
  for (const name of names) {
    // A setting the template stops naming is recorded as changing to null.
    compare(`configuration.${name}`, before[name], configuration[name] ?? null);
  }
  return changes;
}

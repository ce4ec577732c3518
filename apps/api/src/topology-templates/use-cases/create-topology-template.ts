import { Injectable } from '@nestjs/common';
import { HistoryRepository, PrismaService, TopologyTemplate, TopologyTemplateRepository, uniqueViolationTarget } from '@swarm/db';
import { SwarmConfigurationInput, SwarmTopology } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { mergeTemplateSettings } from '../template-configuration';
import { assertNotSystemName, duplicateTemplateName } from './template-names';

export interface CreateTopologyTemplateCommand {
  actor: Actor;
  name: string;
  description?: string;
  topology: SwarmTopology;
  configuration?: SwarmConfigurationInput;
}

@Injectable()
export class CreateTopologyTemplate {
  constructor(
    private readonly prisma: PrismaService,
    private readonly templates: TopologyTemplateRepository,
    private readonly history: HistoryRepository,
  ) {}

  async execute(command: CreateTopologyTemplateCommand): Promise<TopologyTemplate> {
    const { principal, requestId } = command.actor;
    const configuration = mergeTemplateSettings({}, command.configuration);
    await assertNotSystemName(this.templates, command.name);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const template = await this.templates.create(tx, principal.ownerId, {
          name: command.name,
          description: command.description ?? null,
          topology: command.topology,
          configuration: { ...configuration },
        });
        await this.history.audit(tx, {
          ownerId: principal.ownerId,
          actorKeyId: principal.keyId,
          action: 'topology_template.create',
          resourceType: 'topology_template',
          resourceId: template.id,
          details: { name: template.name, topology: template.topology, configuration: { ...configuration } },
          requestId,
        });
        return template;
      });
    } catch (error) {
      if (uniqueViolationTarget(error)) throw duplicateTemplateName(command.name);
      throw error;
    }
  }
}

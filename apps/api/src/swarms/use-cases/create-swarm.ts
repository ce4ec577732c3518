import { Injectable } from '@nestjs/common';
import {
  AuditEntry,
  HistoryRepository,
  Prisma,
  PrismaService,
  SwarmEventEntry,
  SwarmRepository,
  SwarmWithCounts,
  TopologyTemplate,
  TopologyTemplateReference,
  TopologyTemplateRepository,
  uniqueViolationTarget,
} from '@swarm/db';
import { SwarmEventBroadcaster } from '@swarm/messaging';
import {
  Conflict,
  NotFound,
  resolveSwarmConfiguration,
  SwarmConfigurationInput,
  SwarmEventType,
  SwarmTopology,
  ValidationFailed,
} from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';
import { readTemplateSettings, swarmConfigurationFromTemplate } from '../../topology-templates/template-configuration';

export interface CreateSwarmCommand {
  actor: Actor;
  name: string;
  description?: string;
  /** Required unless a template is named; an explicit topology wins over the template's. */
  topology?: SwarmTopology;
  template_id?: string;
  template?: string;
  /** Overrides the template's settings, which override the defaults. */
  configuration?: SwarmConfigurationInput;
}

/** A swarm row just inserted, with the history rows that go with it, not written yet. */
export interface SwarmCreated {
  swarm: SwarmWithCounts;
  event: SwarmEventEntry;
  audit: AuditEntry;
}

@Injectable()
export class CreateSwarm {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly templates: TopologyTemplateRepository,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
  ) {}

  async execute(command: CreateSwarmCommand): Promise<SwarmWithCounts> {
    const reference = templateReference(command);
    // Without a template the configuration can be refused before any database work.
    if (!reference) resolveSwarmConfiguration(command.configuration);
    try {
      const { swarm, event } = await this.prisma.$transaction(async (tx) => {
        const made = await this.createIn(tx, command);
        const event = await this.history.appendSwarmEvent(tx, made.event);
        await this.history.audit(tx, made.audit);
        return { swarm: made.swarm, event };
      });
      this.broadcaster.broadcast([event]);
      return swarm;
    } catch (error) {
      if (uniqueViolationTarget(error)) throw new Conflict(`you already have a swarm named "${command.name}"`);
      throw error;
    }
  }

  /**
   * The swarm row inside the caller's transaction, for work that goes with it (members that join
   * at once). Its event and audit row are returned for the caller to write in that transaction
   * (with its own, in one statement) and to broadcast after the commit. A name the owner already
   * uses fails the transaction with a unique violation, which execute turns into a conflict.
   */
  async createIn(tx: Prisma.TransactionClient, command: CreateSwarmCommand): Promise<SwarmCreated> {
    const { principal, requestId } = command.actor;
    const ownerId = principal.ownerId;
    const reference = templateReference(command);
    const template = reference ? await this.templateFor(tx, ownerId, reference) : null;
    const topology = command.topology ?? template?.topology;
    if (!topology) throw new ValidationFailed('topology is required unless a template is named (template_id or template)');
    const configuration = template
      ? swarmConfigurationFromTemplate(readTemplateSettings(template.configuration), command.configuration)
      : resolveSwarmConfiguration(command.configuration);

    const swarm = await this.swarms.create(tx, ownerId, {
      name: command.name,
      description: command.description ?? null,
      topology,
      configuration: { ...configuration },
      topologyTemplateId: template?.id ?? null,
    });
    const details: Prisma.InputJsonObject = { name: swarm.name, topology: swarm.topology, configuration: { ...configuration } };
    return {
      swarm,
      event: { swarmId: swarm.id, ownerId, type: SwarmEventType.Created, data: { name: swarm.name, topology: swarm.topology } },
      audit: {
        ownerId,
        actorKeyId: principal.keyId,
        action: 'swarm.create',
        resourceType: 'swarm',
        resourceId: swarm.id,
        details: template ? { ...details, topology_template_id: template.id, topology_template: template.name } : details,
        requestId,
      },
    };
  }

  /** System templates and the caller's own are usable; another owner's reads as absent. */
  private async templateFor(tx: Prisma.TransactionClient, ownerId: string, reference: TopologyTemplateReference): Promise<TopologyTemplate> {
    const template = await this.templates.lockForUse(tx, ownerId, reference);
    if (!template) throw new NotFound('topology template', 'id' in reference ? reference.id : `"${reference.name}"`);
    return template;
  }
}

function templateReference(command: CreateSwarmCommand): TopologyTemplateReference | null {
  if (command.template_id !== undefined && command.template !== undefined) {
    throw new ValidationFailed('name the template either by template_id or by template, not both');
  }
  if (command.template_id !== undefined) return { id: command.template_id };
  if (command.template !== undefined) return { name: command.template };
  return null;
}

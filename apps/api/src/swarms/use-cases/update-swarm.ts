import { Injectable } from '@nestjs/common';
import { HistoryRepository, Prisma, PrismaService, SwarmEvent, SwarmRepository, SwarmWithCounts, uniqueViolationTarget } from '@swarm/db';
import { SwarmEventBroadcaster } from '@swarm/messaging';
import { SwarmTopologySync, TopologyAnnouncer, TopologyTransitionResult } from '@swarm/topology';
import {
  assertSwarmMutable,
  Conflict,
  NotFound,
  readStoredConfiguration,
  resolveSwarmConfiguration,
  SwarmConfigurationInput,
  SwarmEventType,
  SwarmTopology,
} from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';

export interface UpdateSwarmCommand {
  actor: Actor;
  swarmId: string;
  name?: string;
  description?: string | null;
  topology?: SwarmTopology;
  configuration?: SwarmConfigurationInput;
}

@Injectable()
export class UpdateSwarm {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
  ) {}

  async execute(command: UpdateSwarmCommand): Promise<SwarmWithCounts> {
    const { principal, requestId } = command.actor;
    const ownerId = principal.ownerId;
    const events: SwarmEvent[] = [];
    let transition: TopologyTransitionResult | null = null;
    try {
      const swarm = await this.prisma.$transaction(async (tx) => {
        if (!(await this.swarms.lockForOwner(tx, ownerId, command.swarmId))) throw new NotFound('swarm', command.swarmId);
        const current = (await this.swarms.findForOwner(ownerId, command.swarmId, tx))!;
        assertSwarmMutable(current.id, current.status);

        const configuration = resolveSwarmConfiguration(command.configuration, readStoredConfiguration(current.configuration));
        const changes = changedFields(current, command, configuration);
        if (Object.keys(changes).length === 0) return current;

        const updated = await this.swarms.update(tx, ownerId, current.id, toUpdateInput(command, configuration));
        events.push(await this.history.appendSwarmEvent(tx, { swarmId: current.id, ownerId, type: SwarmEventType.Updated, data: { changes } }));
        // A live swarm is re-laid out in the same transaction: roles reassigned, agents told below.
        if (changes.topology || changes['configuration.max_children_per_parent']) {
          transition = await this.topology.apply(tx, updated, 'topology_updated');
        }
        await this.history.audit(tx, {
          ownerId,
          actorKeyId: principal.keyId,
          action: 'swarm.update',
          resourceType: 'swarm',
          resourceId: current.id,
          details: { changes },
          requestId,
        });
        return updated;
      });
      this.broadcaster.broadcast(events);
      if (transition) await this.announcer.announce(swarm.id, transition);
      return swarm;
    } catch (error) {
      if (uniqueViolationTarget(error)) throw new Conflict(`you already have a swarm named "${command.name}"`);
      throw error;
    }
  }
}

type Change = { from: Prisma.InputJsonValue | null; to: Prisma.InputJsonValue | null };

/** Only what really changes is written, evented and audited, as {from, to} pairs. */
function changedFields(
  current: SwarmWithCounts,
  command: UpdateSwarmCommand,
  configuration: ReturnType<typeof resolveSwarmConfiguration>,
): Record<string, Change> {
  const changes: Record<string, Change> = {};
  const compare = (field: string, before: unknown, after: unknown) => {
    if (after !== undefined && JSON.stringify(before) !== JSON.stringify(after)) {
      changes[field] = { from: (before ?? null) as Change['from'], to: (after ?? null) as Change['to'] };
    }
  };
  compare('name', current.name, command.name);
  compare('description', current.description, command.description);
  compare('topology', current.topology, command.topology);
  const before = readStoredConfiguration(current.configuration);
  for (const key of Object.keys(configuration) as (keyof typeof configuration)[]) {
    compare(`configuration.${key}`, before[key], configuration[key]);
  }
  return changes;
}

function toUpdateInput(command: UpdateSwarmCommand, configuration: object): Prisma.SwarmUncheckedUpdateInput {
  return {
    name: command.name,
    description: command.description,
    topology: command.topology,
    configuration: { ...configuration },
  };
}

import { Injectable } from '@nestjs/common';
import { HistoryRepository, PrismaService, SwarmRepository, SwarmWithCounts, uniqueViolationTarget } from '@swarm/db';
import { SwarmEventBroadcaster } from '@swarm/messaging';
import { Conflict, resolveSwarmConfiguration, SwarmConfigurationInput, SwarmEventType, SwarmTopology } from '@swarm/domain';
import type { Actor } from '../../auth/auth.decorators';

export interface CreateSwarmCommand {
  actor: Actor;
  name: string;
  description?: string;
  topology: SwarmTopology;
  configuration?: SwarmConfigurationInput;
}

@Injectable()
export class CreateSwarm {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
    private readonly history: HistoryRepository,
    private readonly broadcaster: SwarmEventBroadcaster,
  ) {}

  async execute(command: CreateSwarmCommand): Promise<SwarmWithCounts> {
    const { principal, requestId } = command.actor;
    const configuration = resolveSwarmConfiguration(command.configuration);
    try {
      const { swarm, event } = await this.prisma.$transaction(async (tx) => {
        const swarm = await this.swarms.create(tx, principal.ownerId, {
          name: command.name,
          description: command.description ?? null,
          topology: command.topology,
          configuration: { ...configuration },
        });
        const event = await this.history.appendSwarmEvent(tx, {
          swarmId: swarm.id,
          ownerId: principal.ownerId,
          type: SwarmEventType.Created,
          data: { name: swarm.name, topology: swarm.topology },
        });
        await this.history.audit(tx, {
          ownerId: principal.ownerId,
          actorKeyId: principal.keyId,
          action: 'swarm.create',
          resourceType: 'swarm',
          resourceId: swarm.id,
          details: { name: swarm.name, topology: swarm.topology, configuration: { ...configuration } },
          requestId,
        });
        return { swarm, event };
      });
      this.broadcaster.broadcast([event]);
      return swarm;
    } catch (error) {
      if (uniqueViolationTarget(error)) throw new Conflict(`you already have a swarm named "${command.name}"`);
      throw error;
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { HistoryRepository, PrismaService } from '@swarm/db';
import { DistributionAlgorithm, DomainError, SwarmTopology } from '@swarm/domain';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { RegisterSwarmAgent } from '../../agents/use-cases/register-swarm-agent';
import { CreateSwarm } from '../../swarms/use-cases/create-swarm';
import { TerminateSwarm } from '../../swarms/use-cases/terminate-swarm';
import { CoordinationStrategy } from '../network.dto';
import { LoadedNetwork, NetworkRecords } from './network-records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How each coordination strategy is run by the backing swarm. */
export const STRATEGY_LAYOUT: Record<CoordinationStrategy, { topology: SwarmTopology; distribution?: DistributionAlgorithm }> = {
  centralized: { topology: 'star' },
  decentralized: { topology: 'mesh' },
  hybrid: { topology: 'hierarchical' },
  'round-robin': { topology: 'star', distribution: 'round_robin' },
};

/** Default max_agents of a swarm; a larger network raises it to fit. */
const SWARM_DEFAULT_MAX_AGENTS = 100;

export interface CreateNetworkCommand {
  actor: Actor;
  name: string;
  description?: string;
  agentIds: string[];
  strategy: CoordinationStrategy;
}

/** Names every agent id that is not one of the caller's, at once. */
export class AgentsNotFound extends DomainError {
  constructor(readonly missing: string[]) {
    super('not_found', `agent${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`, { missing_agent_ids: missing });
  }
}

/**
 * A network is a swarm of the caller's existing agents: the swarm is created with the
 * strategy's topology and the agents join it through the ordinary registration (all in one
 * batch), so events, roles and topology are the same as for any swarm. If a join fails the
 * swarm is terminated again, leaving no half-made network.
 */
@Injectable()
export class CreateNetwork {
  private readonly logger = new Logger(CreateNetwork.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly createSwarm: CreateSwarm,
    private readonly registerAgent: RegisterSwarmAgent,
    private readonly terminateSwarm: TerminateSwarm,
    private readonly records: NetworkRecords,
    private readonly history: HistoryRepository,
  ) {}

  async execute(command: CreateNetworkCommand): Promise<LoadedNetwork> {
    const ownerId = command.actor.principal.ownerId;
    const agentIds = [...new Set(command.agentIds.map((id) => id.toLowerCase()))];
    await this.assertAgentsExist(ownerId, agentIds);

    const layout = STRATEGY_LAYOUT[command.strategy];
    const networkId = uuidv7();
    const swarm = await this.createSwarm.execute({
      actor: command.actor,
      // Swarm names are unique per owner; network names need not be.
      name: `network-${networkId}`,
      description: command.description ?? `backs network ${command.name}`,
      topology: layout.topology,
      configuration: {
        max_agents: Math.max(SWARM_DEFAULT_MAX_AGENTS, agentIds.length),
        ...(layout.distribution ? { distribution_algorithm: layout.distribution } : {}),
      },
    });
    try {
      await this.prisma.$transaction(async (tx) => {
        await tx.agentNetwork.create({
          data: { id: networkId, ownerId, swarmId: swarm.id, name: command.name, description: command.description ?? null, coordinationStrategy: command.strategy },
        });
        await this.history.audit(tx, {
          ownerId,
          actorKeyId: command.actor.principal.keyId,
          action: 'network.create',
          resourceType: 'network',
          resourceId: networkId,
          details: { name: command.name, swarm_id: swarm.id, coordination_strategy: command.strategy, agents: agentIds },
          requestId: command.actor.requestId,
        });
      });
      // All in one transaction with one topology pass, not one of each per agent.
      const outcomes = await this.registerAgent.executeMany(
        ownerId,
        swarm.id,
        agentIds.map((agentId) => ({ actor: command.actor, agentId })),
      );
      const refused = outcomes.find((o) => 'error' in o);
      if (refused && 'error' in refused) throw refused.error;
    } catch (error) {
      await this.undo(command.actor, networkId, swarm.id);
      throw error;
    }
    return this.records.load(ownerId, networkId);
  }

  private async assertAgentsExist(ownerId: string, agentIds: string[]): Promise<void> {
    const wellFormed = agentIds.filter((id) => UUID.test(id));
    const found = await this.prisma.agent.findMany({ where: { ownerId, id: { in: wellFormed } }, select: { id: true } });
    const known = new Set(found.map((a) => a.id));
    const missing = agentIds.filter((id) => !known.has(id));
    if (missing.length > 0) throw new AgentsNotFound(missing);
  }

  private async undo(actor: Actor, networkId: string, swarmId: string): Promise<void> {
    try {
      await this.prisma.agentNetwork.deleteMany({ where: { id: networkId } });
      await this.terminateSwarm.execute(actor, swarmId);
    } catch (error) {
      this.logger.warn({ err: error, networkId, swarmId }, 'could not undo a network whose creation failed');
    }
  }
}

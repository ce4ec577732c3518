import { Injectable } from '@nestjs/common';
import { Page, SwarmFilter, SwarmRepository, SwarmWithCounts } from '@swarm/db';
import { NotFound } from '@swarm/domain';

export const DEFAULT_PAGE_SIZE = 20;

@Injectable()
export class GetSwarm {
  constructor(private readonly swarms: SwarmRepository) {}

  async execute(ownerId: string, swarmId: string): Promise<SwarmWithCounts> {
    const swarm = await this.swarms.findForOwner(ownerId, swarmId);
    if (!swarm) throw new NotFound('swarm', swarmId);
    return swarm;
  }
}

@Injectable()
export class ListSwarms {
  constructor(private readonly swarms: SwarmRepository) {}

  execute(ownerId: string, filter: SwarmFilter, limit = DEFAULT_PAGE_SIZE, cursor?: string): Promise<Page<SwarmWithCounts>> {
    return this.swarms.listForOwner(ownerId, filter, { limit, cursor });
  }
}

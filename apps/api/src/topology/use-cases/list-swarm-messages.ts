import { Injectable } from '@nestjs/common';
import { ListSwarmMessagesQuery, SwarmMessagePageView } from '@swarm/contracts';
import { Prisma, PrismaService, SwarmRepository } from '@swarm/db';
import { NotFound } from '@swarm/domain';

const DEFAULT_LIMIT = 100;

/** Keyset paging over the message log, newest first. */
@Injectable()
export class ListSwarmMessages {
  constructor(
    private readonly prisma: PrismaService,
    private readonly swarms: SwarmRepository,
  ) {}

  async execute(ownerId: string, swarmId: string, query: ListSwarmMessagesQuery): Promise<SwarmMessagePageView> {
    if (!(await this.swarms.findForOwner(ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const where: Prisma.SwarmMessageWhereInput = {
      swarmId,
      ...(query.cursor ? { id: { lt: BigInt(query.cursor) } } : {}),
      ...(query.delivered ? { delivered: query.delivered === 'true' } : {}),
      ...(query.agent_id ? { OR: [{ senderAgentId: query.agent_id }, { toAgentId: query.agent_id }, { recipients: { has: query.agent_id } }] } : {}),
    };
    const rows = await this.prisma.swarmMessage.findMany({ where, orderBy: { id: 'desc' }, take: limit + 1 });
    const items = rows.slice(0, limit);
    return {
      items: items.map((m) => ({
        id: m.id.toString(),
        message_id: m.messageId,
        from: m.senderAgentId,
        to: m.toAgentId,
        broadcast: m.broadcast,
        recipients: m.recipients,
        delivered: m.delivered,
        rule: m.rule,
        reason: m.reason,
        payload: m.payload ?? null,
        sent_at: m.sentAt.toISOString(),
      })),
      next_cursor: rows.length > limit ? items[items.length - 1].id.toString() : null,
    };
  }
}

import { Injectable } from '@nestjs/common';
import { generateAgentToken } from '@swarm/auth';
import { Agent, HistoryRepository, Prisma } from '@swarm/db';
import type { Actor } from '../../auth/auth.decorators';

export interface NewAgentFields {
  name: string;
  agentType: string;
  capabilities?: string[];
  maxConcurrency?: number;
  metadata?: Record<string, unknown>;
}

/**
 * Creates an agent row with a fresh token (stored hashed, returned once). Shared by the
 * standalone and the in-swarm registration, inside the caller's transaction.
 */
@Injectable()
export class AgentFactory {
  constructor(private readonly history: HistoryRepository) {}

  async create(tx: Prisma.TransactionClient, actor: Actor, fields: NewAgentFields): Promise<{ agent: Agent; token: string }> {
    const token = generateAgentToken();
    const agent = await tx.agent.create({
      data: {
        ownerId: actor.principal.ownerId,
        name: fields.name,
        agentType: fields.agentType,
        capabilities: [...new Set(fields.capabilities ?? [])],
        maxConcurrency: fields.maxConcurrency ?? 1,
        metadata: (fields.metadata ?? {}) as Prisma.InputJsonValue,
        tokenPrefix: token.prefix,
        tokenHash: token.hash,
      },
    });
    await this.history.audit(tx, {
      ownerId: actor.principal.ownerId,
      actorKeyId: actor.principal.keyId,
      action: 'agent.create',
      resourceType: 'agent',
      resourceId: agent.id,
      details: { name: agent.name, agent_type: agent.agentType, token_prefix: token.prefix },
      requestId: actor.requestId,
    });
    return { agent, token: token.token };
  }
}

import { Injectable } from '@nestjs/common';
import { GeneratedAgentToken, generateAgentToken } from '@swarm/auth';
import { Agent, AuditEntry, HistoryRepository, Prisma } from '@swarm/db';
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
    const agent = await tx.agent.create({ data: agentRow(actor, fields, token) });
    await this.history.audit(tx, creationAudit(actor, agent, token.prefix));
    return { agent, token: token.token };
  }

  /**
   * As create for each, in two statements however many there are; in the order given. The
   * audit rows are returned for the caller to write with its own (one statement for all).
   */
  async createMany(
    tx: Prisma.TransactionClient,
    entries: ReadonlyArray<{ actor: Actor; fields: NewAgentFields }>,
  ): Promise<{ created: Array<{ agent: Agent; token: string }>; audits: AuditEntry[] }> {
    if (entries.length === 0) return { created: [], audits: [] };
    const tokens = entries.map(() => generateAgentToken());
    const rows = await tx.agent.createManyAndReturn({ data: entries.map((e, i) => agentRow(e.actor, e.fields, tokens[i])) });
    // Token prefixes are random and unique: they pair each row with its entry whatever order rows come back in.
    const byPrefix = new Map(rows.map((agent) => [agent.tokenPrefix, agent]));
    const created = tokens.map((token) => ({ agent: byPrefix.get(token.prefix)!, token: token.token }));
    return { created, audits: created.map(({ agent }, i) => creationAudit(entries[i].actor, agent, tokens[i].prefix)) };
  }
}

function agentRow(actor: Actor, fields: NewAgentFields, token: GeneratedAgentToken): Prisma.AgentUncheckedCreateInput {
  return {
    ownerId: actor.principal.ownerId,
    name: fields.name,
    agentType: fields.agentType,
    capabilities: [...new Set(fields.capabilities ?? [])],
    maxConcurrency: fields.maxConcurrency ?? 1,
    metadata: (fields.metadata ?? {}) as Prisma.InputJsonValue,
    tokenPrefix: token.prefix,
    tokenHash: token.hash,
  };
}

function creationAudit(actor: Actor, agent: Agent, tokenPrefix: string): AuditEntry {
  return {
    ownerId: actor.principal.ownerId,
    actorKeyId: actor.principal.keyId,
    action: 'agent.create',
    resourceType: 'agent',
    resourceId: agent.id,
    details: { name: agent.name, agent_type: agent.agentType, token_prefix: tokenPrefix },
    requestId: actor.requestId,
  };
}

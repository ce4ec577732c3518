import { Injectable } from '@nestjs/common';
import { Prisma, SwarmEvent } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

type Db = PrismaService | Prisma.TransactionClient;

export interface AuditEntry {
  ownerId: string;
  actorKeyId: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  details?: Prisma.InputJsonValue;
  requestId?: string | null;
}

export interface SwarmEventEntry {
  swarmId: string;
  ownerId: string;
  type: string;
  agentId?: string | null;
  taskId?: string | null;
  data?: Prisma.InputJsonValue;
}

export interface SwarmEventQuery {
  types?: string[];
  since?: Date;
  until?: Date;
  cursor?: bigint;
  order: 'asc' | 'desc';
  limit: number;
}

/** Append-only history: the audit trail of who changed what, and the swarm event stream. */
@Injectable()
export class HistoryRepository {
  constructor(private readonly prisma: PrismaService) {}

  async audit(db: Db, entry: AuditEntry): Promise<void> {
    await db.auditLog.create({ data: { ...entry, details: entry.details ?? {} } });
  }

  /** Many audit rows in one statement. */
  async auditMany(db: Db, entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await db.auditLog.createMany({ data: entries.map((entry) => ({ ...entry, details: entry.details ?? {} })) });
  }

  appendSwarmEvent(db: Db, entry: SwarmEventEntry): Promise<SwarmEvent> {
    return db.swarmEvent.create({ data: { ...entry, data: entry.data ?? {} } });
  }

  /** Many events in one statement, returned in id order (the order they were given). */
  async appendSwarmEvents(db: Db, entries: readonly SwarmEventEntry[]): Promise<SwarmEvent[]> {
    if (entries.length === 0) return [];
    const rows = await db.swarmEvent.createManyAndReturn({ data: entries.map((entry) => ({ ...entry, data: entry.data ?? {} })) });
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Keyset paging on the bigint id, in either direction; filters by type and time range. */
  async listSwarmEvents(ownerId: string, swarmId: string, query: SwarmEventQuery): Promise<{ items: SwarmEvent[]; nextCursor: string | null }> {
    const ascending = query.order === 'asc';
    const rows = await this.prisma.swarmEvent.findMany({
      where: {
        ownerId,
        swarmId,
        ...(query.types?.length ? { type: { in: query.types } } : {}),
        ...(query.since || query.until ? { createdAt: { gte: query.since, lt: query.until } } : {}),
        ...(query.cursor !== undefined ? { id: ascending ? { gt: query.cursor } : { lt: query.cursor } } : {}),
      },
      orderBy: { id: ascending ? 'asc' : 'desc' },
      take: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id.toString() : null };
  }

  listAudit(ownerId: string, resourceType: string, resourceId: string) {
    return this.prisma.auditLog.findMany({
      where: { ownerId, resourceType, resourceId },
      orderBy: { id: 'asc' },
    });
  }
}

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

/** Append-only history: the audit trail of who changed what, and the swarm event stream. */
@Injectable()
export class HistoryRepository {
  constructor(private readonly prisma: PrismaService) {}

  async audit(db: Db, entry: AuditEntry): Promise<void> {
    await db.auditLog.create({ data: { ...entry, details: entry.details ?? {} } });
  }

  appendSwarmEvent(db: Db, entry: SwarmEventEntry): Promise<SwarmEvent> {
    return db.swarmEvent.create({ data: { ...entry, data: entry.data ?? {} } });
  }

  listSwarmEvents(ownerId: string, swarmId: string, limit = 100): Promise<SwarmEvent[]> {
    return this.prisma.swarmEvent.findMany({
      where: { ownerId, swarmId },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  listAudit(ownerId: string, resourceType: string, resourceId: string) {
    return this.prisma.auditLog.findMany({
      where: { ownerId, resourceType, resourceId },
      orderBy: { id: 'asc' },
    });
  }
}

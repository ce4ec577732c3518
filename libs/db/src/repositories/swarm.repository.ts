import { Injectable } from '@nestjs/common';
import { Prisma, Swarm, SwarmStatus, SwarmTopology } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService, } from '../prisma.service';

export type SwarmWithCounts = Swarm & { _count: { memberships: number } };

export interface SwarmFilter {
  status?: SwarmStatus;
  topology?: SwarmTopology;
}

type Db = PrismaService | Prisma.TransactionClient;

const WITH_ACTIVE_MEMBER_COUNT = {
  _count: { select: { memberships: { where: { status: 'active' as const } } } },
} satisfies Prisma.SwarmInclude;

/** Every method takes the owner id: another owner's swarm reads as absent, by construction. */
@Injectable()
export class SwarmRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(db: Db, ownerId: string, data: Omit<Prisma.SwarmUncheckedCreateInput, 'ownerId'>): Promise<SwarmWithCounts> {
    return db.swarm.create({ data: { ...data, ownerId }, include: WITH_ACTIVE_MEMBER_COUNT });
  }

  findForOwner(ownerId: string, id: string, db: Db = this.prisma): Promise<SwarmWithCounts | null> {
    return db.swarm.findFirst({ where: { id, ownerId }, include: WITH_ACTIVE_MEMBER_COUNT });
  }

  /** Row lock for read-modify-write: concurrent updates of one swarm apply one after another. */
  async lockForOwner(db: Prisma.TransactionClient, ownerId: string, id: string): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM swarms WHERE id = ${id}::uuid AND owner_id = ${ownerId}::uuid FOR UPDATE`;
    return rows.length === 1;
  }

  async listForOwner(ownerId: string, filter: SwarmFilter, page: PageRequest): Promise<Page<SwarmWithCounts>> {
    const where: Prisma.SwarmWhereInput = {
      ownerId,
      topology: filter.topology,
      status: filter.status ?? { not: 'terminated' },
      ...(page.cursor ? { id: { lt: page.cursor } } : {}),
    };
    const rows = await this.prisma.swarm.findMany({
      where,
      orderBy: { id: 'desc' },
      take: page.limit + 1,
      include: WITH_ACTIVE_MEMBER_COUNT,
    });
    return toPage(rows, page.limit);
  }

  update(db: Db, ownerId: string, id: string, data: Prisma.SwarmUncheckedUpdateInput): Promise<SwarmWithCounts> {
    // The owner is checked by the caller under a row lock; the where clause repeats it anyway.
    return db.swarm.update({ where: { id, ownerId }, data, include: WITH_ACTIVE_MEMBER_COUNT });
  }
}

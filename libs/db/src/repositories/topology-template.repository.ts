import { Injectable } from '@nestjs/common';
import { Prisma, SwarmTopology, TopologyTemplate } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { PrismaService } from '../prisma.service';

export type { TopologyTemplate };

export interface TopologyTemplateFilter {
  topology?: SwarmTopology;
}

/** How a swarm names its template: by id or by name. */
export type TopologyTemplateReference = { id: string } | { name: string };

type Db = PrismaService | Prisma.TransactionClient;

/** What an owner may read: the system templates plus their own. */
function visibleTo(ownerId: string): Prisma.TopologyTemplateWhereInput {
  return { OR: [{ ownerId }, { isSystem: true }] };
}

/** Another owner's template reads as absent, by construction; system templates are shared. */
@Injectable()
export class TopologyTemplateRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(db: Db, ownerId: string, data: Omit<Prisma.TopologyTemplateUncheckedCreateInput, 'ownerId' | 'isSystem'>): Promise<TopologyTemplate> {
    return db.topologyTemplate.create({ data: { ...data, ownerId, isSystem: false } });
  }

  findVisible(ownerId: string, id: string, db: Db = this.prisma): Promise<TopologyTemplate | null> {
    return db.topologyTemplate.findFirst({ where: { id, ...visibleTo(ownerId) } });
  }

  async listVisible(ownerId: string, filter: TopologyTemplateFilter, page: PageRequest): Promise<Page<TopologyTemplate>> {
    const rows = await this.prisma.topologyTemplate.findMany({
      where: {
        ...visibleTo(ownerId),
        topology: filter.topology,
        ...(page.cursor ? { id: { lt: page.cursor } } : {}),
      },
      orderBy: { id: 'desc' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit);
  }

  async isSystemName(name: string, db: Db = this.prisma): Promise<boolean> {
    return (await db.topologyTemplate.count({ where: { name, isSystem: true } })) > 0;
  }

  /** Row lock for read-modify-write of the owner's own template. */
  async lockOwn(db: Prisma.TransactionClient, ownerId: string, id: string): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM topology_templates WHERE id = ${id}::uuid AND owner_id = ${ownerId}::uuid FOR UPDATE`;
    return rows.length === 1;
  }

  /**
   * The template a new swarm is created from, share-locked until the transaction ends so it
   * cannot be deleted between reading it and storing the swarm's reference to it. A name the
   * owner uses for their own template wins over a system template of the same name.
   */
  async lockForUse(db: Prisma.TransactionClient, ownerId: string, reference: TopologyTemplateReference): Promise<TopologyTemplate | null> {
    const match = 'id' in reference ? Prisma.sql`id = ${reference.id}::uuid` : Prisma.sql`name = ${reference.name}`;
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM topology_templates
      WHERE ${match} AND (owner_id = ${ownerId}::uuid OR is_system)
      ORDER BY is_system ASC
      LIMIT 1
      FOR KEY SHARE`;
    if (rows.length === 0) return null;
    return db.topologyTemplate.findUnique({ where: { id: rows[0].id } });
  }

  update(db: Db, ownerId: string, id: string, data: Prisma.TopologyTemplateUncheckedUpdateInput): Promise<TopologyTemplate> {
    // The owner is checked by the caller under a row lock; the where clause repeats it anyway.
    return db.topologyTemplate.update({ where: { id, ownerId }, data });
  }

  async delete(db: Db, ownerId: string, id: string): Promise<void> {
    await db.topologyTemplate.deleteMany({ where: { id, ownerId, isSystem: false } });
  }
}

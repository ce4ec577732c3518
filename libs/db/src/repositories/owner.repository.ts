import { Injectable } from '@nestjs/common';
import { Owner } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

@Injectable()
export class OwnerRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(name: string): Promise<Owner> {
    return this.prisma.owner.create({ data: { name } });
  }

  list(): Promise<Owner[]> {
    return this.prisma.owner.findMany({ orderBy: { createdAt: 'asc' } });
  }

  findById(id: string): Promise<Owner | null> {
    return this.prisma.owner.findUnique({ where: { id } });
  }
}

import { Prisma } from './generated/prisma/client';

/** Unique-constraint violation (P2002) with the columns involved when Prisma reports them. */
export function uniqueViolationTarget(error: unknown): string[] | null {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    const meta = error.meta as { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: string[] } } } } | undefined;
    if (Array.isArray(meta?.target)) return meta.target.map(String);
    const fields = meta?.driverAdapterError?.cause?.constraint?.fields;
    return Array.isArray(fields) ? fields.map(String) : [];
  }
  return null;
}

export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}

import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { Prisma } from './generated/prisma/client';
import { preparedStatementName } from './prepared-statements';
import { PrismaService } from './prisma.service';

/**
 * What the set-based task statements need from a connection: Prisma's raw-query surface. A
 * Prisma transaction client satisfies it, and so does SqlExecutor on a bare pg connection.
 */
export interface RawSql {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number>;
}

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;
const parseTextArray = pg.types.getTypeParser(1009 as Parameters<typeof pg.types.getTypeParser>[0], 'text') as (text: string) => Array<string | null>;
const parseBigIntArray = (text: string): Array<bigint | null> => parseTextArray(text).map((v) => (v === null ? null : BigInt(v)));

/** Result values as Prisma's $queryRaw gives them (bigint for int8), so the same code reads both. */
const RESULT_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (text: string) => BigInt(text);
    if (oid === INT8_ARRAY_OID) return parseBigIntArray;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * Raw statements straight on the pg driver, for the engine's hottest paths (assignment commits,
 * report batches): Prisma's per-query work (argument mapping, its query interpreter, a round
 * trip per interactive-transaction statement plus BEGIN/COMMIT bookkeeping) was a large share
 * of the worker's CPU for statements that are already plain SQL.
 */
export class SqlExecutor implements RawSql {
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
    const sql = toSql(query, values);
    const result = await this.client.query({ name: preparedStatementName(sql.text), text: sql.text, values: sql.values as unknown[], types: RESULT_TYPES });
    return result.rows as T;
  }

  async $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number> {
    const sql = toSql(query, values);
    const result = await this.client.query({ name: preparedStatementName(sql.text), text: sql.text, values: sql.values as unknown[], types: RESULT_TYPES });
    return result.rowCount ?? 0;
  }
}

function toSql(query: TemplateStringsArray | Prisma.Sql, values: unknown[]): Prisma.Sql {
  return query instanceof Prisma.Sql ? query : Prisma.sql(query, ...(values as Prisma.Sql[]));
}

/** The process's pg pool (shared with Prisma), for statements and transactions without Prisma. */
@Injectable()
export class Sql implements OnApplicationShutdown {
  /** Statements outside a transaction (each one atomic on its own). */
  readonly direct: SqlExecutor;
  private asyncCommitPool: pg.Pool | null = null;
  private asyncCommitExecutor: SqlExecutor | null = null;

  constructor(private readonly prisma: PrismaService) {
    this.direct = new SqlExecutor(prisma.pool);
  }

  /**
   * Statements whose commit need not wait for the disk (synchronous_commit off), on a pool of
   * their own, as large as the main one (the distributor commits several cycles at once) and
   * opened on first use. Only for changes the engine rebuilds if Postgres
   * loses them in a crash (the last few hundred ms of such commits, never a torn state): an
   * attempt's assignment is one. Lost, the task reads queued again and the reconciler re-queues
   * it; the agent's report for the lost attempt carries a fencing token Postgres never knew, so
   * it is refused, and the task runs (and counts) once more. Everything a client or an agent was
   * told is final (submissions, results) stays on `direct`.
   */
  get asyncCommit(): SqlExecutor {
    if (!this.asyncCommitExecutor) {
      const pool = new pg.Pool({ ...this.prisma.pool.options, options: '-c synchronous_commit=off' });
      pool.on('error', () => undefined);
      this.asyncCommitPool = pool;
      this.asyncCommitExecutor = new SqlExecutor(pool);
    }
    return this.asyncCommitExecutor;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.asyncCommitPool?.end().catch(() => undefined);
  }

  /** BEGIN … COMMIT on one connection; ROLLBACK and rethrow when `work` throws. */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.prisma.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(new SqlExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection that cannot even roll back is not handed to the next caller.
      client.release(broken);
    }
  }
}

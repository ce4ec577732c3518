import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { preparedStatementName } from './prepared-statements';

/**
 * The one Prisma client of a process, on the pg driver adapter (no native engine needed), over
 * a pg pool the process also uses directly for the task engine's raw statements (Sql) — one
 * set of connections for both. Connections are opened lazily by the pool, so a process starts
 * even while Postgres is still coming up; /ready reports it until it answers.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);
  readonly pool: pg.Pool;
  private readonly poolSize: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.database.url,
      max: config.database.poolSize,
      connectionTimeoutMillis: 5_000,
    });
    // Prepared statements for Prisma's queries too (its texts repeat: parameters are never inlined).
    super({ adapter: new PrismaPg(pool, { statementNameGenerator: (query) => preparedStatementName(query.sql) as string }) });
    this.pool = pool;
    // Without a listener an idle connection's error (Postgres restarted) would crash the process.
    pool.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'idle database connection failed'));
    this.poolSize = config.database.poolSize;
  }

  /**
   * Opens the pool's connections once the app is up, in the background: otherwise the first
   * burst of requests after a start waits while Postgres starts a backend for each connection,
   * all at once. Nothing waits for it and a failure is ignored: the pool still connects on
   * demand, as when Postgres is not up yet.
   */
  onApplicationBootstrap(): void {
    for (let i = 0; i < this.poolSize; i++) {
      void this.pool.connect().then(
        (client) => client.release(),
        () => undefined,
      );
    }
  }

  /**
   * The last shutdown phase, and this module's hooks run after those of the modules that import
   * it: distributors and report processors finish what they hold first (onApplicationShutdown
   * too). Closed in onModuleDestroy, the pool was gone under a cycle still committing.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
    this.logger.log('database pool closed');
  }
}

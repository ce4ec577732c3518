import { Injectable } from '@nestjs/common';
import { checkMigrations, findMigrationsDir, PrismaService } from '@swarm/db';
import { evictionPolicyProblem, readEvictionPolicy, RedisService } from '@swarm/messaging';

export interface DependencyCheck {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { postgres: DependencyCheck; redis: DependencyCheck; migrations: DependencyCheck };
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function timed(what: string, check: () => Promise<string | null>): Promise<DependencyCheck> {
  const started = performance.now();
  try {
    const problem = await withTimeout(check(), what);
    const latency = Math.round((performance.now() - started) * 100) / 100;
    return problem ? { ok: false, latency_ms: latency, error: problem } : { ok: true, latency_ms: latency };
  } catch (error) {
    const latency = Math.round((performance.now() - started) * 100) / 100;
    return { ok: false, latency_ms: latency, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether this copy can serve traffic: Postgres and Redis answer, and the schema is current. */
@Injectable()
export class ReadinessService {
  private readonly migrationsDir = findMigrationsDir();

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  async check(): Promise<Readiness> {
    const [postgres, redis] = await Promise.all([
      timed('postgres', async () => {
        await this.prisma.$queryRaw`SELECT 1`;
        return null;
      }),
      timed('redis', () => this.checkRedis()),
    ]);
    const migrations = postgres.ok
      ? await timed('migrations', () => this.checkMigrations())
      : { ok: false, latency_ms: 0, error: 'not checked: postgres is unreachable' };
    return { ready: postgres.ok && redis.ok && migrations.ok, checks: { postgres, redis, migrations } };
  }

  private async checkRedis(): Promise<string | null> {
    return evictionPolicyProblem(await readEvictionPolicy(this.redis.probe));
  }

  private async checkMigrations(): Promise<string | null> {
    if (!this.migrationsDir) return 'prisma/migrations not found next to the code';
    const state = await checkMigrations(this.prisma, this.migrationsDir);
    if (state.failed.length > 0) return `failed migrations: ${state.failed.join(', ')}`;
    if (state.pending.length > 0) return `pending migrations: ${state.pending.join(', ')} (run npm run migrate:deploy)`;
    return null;
  }
}

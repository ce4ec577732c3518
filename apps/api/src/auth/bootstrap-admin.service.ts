import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { generateApiKey, hashApiKey, parseApiKey } from '@swarm/auth';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { Prisma, PrismaService } from '@swarm/db';

const SYSTEM_OWNER_NAME = 'system';
/** Any constant works: it serialises bootstrap across api copies starting at once. */
const BOOTSTRAP_LOCK_ID = 724_301_118;

/**
 * Makes sure someone can log in on a new installation: the key from BOOTSTRAP_ADMIN_KEY, or,
 * when none is set and no key exists yet, a generated admin key printed once on stdout.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdmin.name);

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ensureAdminKey();
    } catch (error) {
      // Postgres may still be starting; /ready reports it and the next start retries.
      this.logger.error({ err: error }, 'could not ensure the bootstrap admin key');
    }
  }

  private async ensureAdminKey(): Promise<void> {
    const configuredKey = this.config.auth.bootstrapAdminKey;
    const generated = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`;
      const owner = await this.systemOwner(tx);
      if (configuredKey) {
        const prefix = parseApiKey(configuredKey)!.prefix;
        if (await tx.apiKey.findUnique({ where: { prefix } })) return null;
        await tx.apiKey.create({
          data: { ownerId: owner.id, name: 'bootstrap-admin', prefix, keyHash: hashApiKey(configuredKey), role: 'admin' },
        });
        this.logger.log({ prefix: `sc_${prefix}` }, 'bootstrap admin key from BOOTSTRAP_ADMIN_KEY registered');
        return null;
      }
      if ((await tx.apiKey.count()) > 0) return null;
      const key = generateApiKey();
      await tx.apiKey.create({
        data: { ownerId: owner.id, name: 'bootstrap-admin', prefix: key.prefix, keyHash: key.hash, role: 'admin' },
      });
      return key.key;
    });
    if (generated) {
      // Deliberately outside the logger: the key must not land in log storage, only on the console once.
      process.stdout.write(
        `\n  Bootstrap admin API key (shown once, store it now):\n\n    ${generated}\n\n` +
          '  Send it as the X-Api-Key header. Set BOOTSTRAP_ADMIN_KEY to choose it yourself.\n\n',
      );
    }
  }

  private async systemOwner(tx: Prisma.TransactionClient) {
    return (
      (await tx.owner.findFirst({ where: { isSystem: true } })) ??
      tx.owner.create({ data: { name: SYSTEM_OWNER_NAME, isSystem: true } })
    );
  }
}

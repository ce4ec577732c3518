import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { evictionPolicyProblem, readEvictionPolicy, RedisService } from '@swarm/messaging';

/** The worker refuses to take jobs from a Redis that may evict them. */
@Injectable()
export class RedisPolicyGuard implements OnModuleInit {
  private readonly logger = new Logger(RedisPolicyGuard.name);

  constructor(private readonly redis: RedisService) {}

  async onModuleInit(): Promise<void> {
    const problem = evictionPolicyProblem(await readEvictionPolicy(this.redis.client));
    if (problem) {
      this.logger.fatal(problem);
      throw new Error(problem);
    }
  }
}

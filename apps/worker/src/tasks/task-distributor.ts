import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { TaskTransitions } from '@swarm/db';
import { REDIS_KEYS, RedisKeys, TaskDispatchStore } from '@swarm/messaging';
import Redis from 'ioredis';
import { DispatchCycle } from './dispatch-cycle';

/** Swarms handled at once by one worker copy. */
const CONCURRENT_SWARMS = 8;
/** Cycles of one swarm whose Postgres commit may still be running while the next one plans. */
const COMMITS_IN_FLIGHT_PER_SWARM = 4;
/** Longest wait for a signal; also how late a retry whose backoff ended can be. */
const MAX_BLOCK_MS = 250;
/** Far more tokens than a few hundred milliseconds of assignments could ever use. */
const FENCING_RESTART_MARGIN = 1_000_000n;

/**
 * The distributor loop: blocks on the `dispatch:due` sorted set (BZPOPMIN — a signal wakes
 * exactly one worker copy within a millisecond), runs a cycle per signalled swarm, and moves
 * retries whose backoff is over into the ready queues. On shutdown it stops taking signals and
 * finishes the cycles it is in; a cycle interrupted by a crash leaves claims the reconciler
 * repairs.
 */
@Injectable()
export class TaskDistributor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskDistributor.name);
  private blocking?: Redis;
  private running = false;
  private loop?: Promise<void>;
  private readonly active = new Map<string, Promise<void>>();
  /** Swarms signalled again while a cycle for them ran: run once more when it ends. */
  private readonly again = new Set<string>();
  private nextDelayedDueAt = 0;
  private hasBzmpop = true;

  constructor(
    private readonly cycle: DispatchCycle,
    private readonly store: TaskDispatchStore,
    private readonly transitions: TaskTransitions,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Tokens must keep growing even if Redis lost its counter. A lost counter restarts with a
    // margin: assignments are committed without waiting for the disk, so after a crash of both
    // Postgres and Redis the highest tokens handed out (to agents that may still report) can be
    // missing from Postgres.
    await this.store.raiseFencingCounter(await this.transitions.highestFencingToken(), FENCING_RESTART_MARGIN);
    this.blocking = new Redis(this.config.redis.url, { maxRetriesPerRequest: null, connectionName: 'swarm-distributor' });
    this.blocking.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'distributor redis connection error'));
    this.running = true;
    this.loop = this.run();
    this.logger.log('task distributor started');
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.allSettled([...this.active.values()]);
    this.blocking?.disconnect();
    this.logger.log('task distributor stopped');
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.promoteDelayed();
        if (this.active.size >= CONCURRENT_SWARMS) {
          await Promise.race(this.active.values());
          continue;
        }
        const swarmIds = await this.nextSwarms();
        for (const swarmId of swarmIds) this.start(swarmId);
      } catch (error) {
        if (!this.running) break;
        this.logger.error({ err: error }, 'distributor loop failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private async nextSwarms(): Promise<string[]> {
    const now = Date.now();
    const untilDelayed = Math.max(1, this.nextDelayedDueAt - now);
    const blockSeconds = Math.min(MAX_BLOCK_MS, untilDelayed) / 1000;
    // Up to the free cycle slots, in one blocking call (Redis 7's BZMPOP); older servers take
    // the first one blocking and the rest in a second call.
    const room = Math.max(1, CONCURRENT_SWARMS - this.active.size);
    if (this.hasBzmpop) {
      try {
        const popped = (await this.blocking!.bzmpop(blockSeconds, 1, this.keys.dispatchDue, 'MIN', 'COUNT', room)) as [string, Array<[string, string]>] | null;
        return popped ? popped[1].map(([member]) => member) : [];
      } catch (error) {
        if (!/unknown command/i.test(String(error))) throw error;
        this.hasBzmpop = false;
        this.logger.warn('Redis has no BZMPOP (Redis < 7): waking on BZPOPMIN + ZPOPMIN instead');
      }
    }
    const popped = await this.blocking!.bzpopmin(this.keys.dispatchDue, blockSeconds);
    if (!popped) return [];
    const ids = [popped[1]];
    if (room > 1) {
      const more = await this.blocking!.zpopmin(this.keys.dispatchDue, room - 1);
      for (let i = 0; i < more.length; i += 2) ids.push(more[i]);
    }
    return ids;
  }

  private async promoteDelayed(): Promise<void> {
    const now = Date.now();
    if (this.nextDelayedDueAt > now) return;
    const { nextDueAt } = await this.store.promoteDueDelayed(now);
    // Check again after the longest block at the latest: another process may delay a task
    // that is due sooner than the earliest one seen now.
    this.nextDelayedDueAt = Math.min(nextDueAt ?? Infinity, now + MAX_BLOCK_MS);
  }

  private start(swarmId: string): void {
    if (this.active.has(swarmId)) {
      this.again.add(swarmId);
      return;
    }
    const work = (async () => {
      const commits = new Set<Promise<void>>();
      try {
        for (;;) {
          // The next cycle may plan and claim while earlier ones still commit (pipelining), a few at most.
          while (commits.size >= COMMITS_IN_FLIGHT_PER_SWARM) await Promise.race(commits);
          const outcome = await this.cycle.run(swarmId);
          const committed = outcome.committed.catch((error: unknown) => this.logger.error({ err: error, swarmId }, 'assignment commit failed'));
          commits.add(committed);
          void committed.finally(() => commits.delete(committed));
          if (this.running && (outcome.more || this.again.delete(swarmId))) continue;
          await Promise.allSettled([...commits]);
          // Signalled while the last commits ran: go on, or that signal would be lost.
          if (this.running && this.again.delete(swarmId)) continue;
          break;
        }
      } catch (error) {
        this.logger.error({ err: error, swarmId }, 'dispatch cycle failed; the swarm is signalled again');
        await Promise.allSettled([...commits]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await this.store.signal([swarmId]).catch(() => undefined);
      } finally {
        this.active.delete(swarmId);
      }
    })();
    this.active.set(swarmId, work);
  }
}

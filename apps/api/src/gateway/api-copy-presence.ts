import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REDIS_KEYS, type RedisKeys, RedisService } from '@swarm/messaging';
import type { Redis } from 'ioredis';

/** How long a new copy waits for the copies already running to hear of it before it takes sockets. */
const ANNOUNCE_TIMEOUT_MS = 3_000;
/** How long start-up waits for the announcement at most (Redis unreachable): then it goes on, publishing. */
const STARTUP_WAIT_MS = ANNOUNCE_TIMEOUT_MS + 2_000;
/** How often a copy asks Redis whether other copies still listen (the way back to "alone"). */
const CHECK_INTERVAL_MS = 5_000;

type PresenceMessage = { kind: 'hello'; from: string } | { kind: 'ack'; from: string; to: string };

/**
 * Whether this api copy is the only one on its Redis. While it is, every socket is local and
 * the socket.io adapter need not publish each broadcast to Redis for nobody (a Redis write and
 * an encode per event, about a sixth of the api's CPU per consensus round).
 *
 * Being wrong the other way would lose messages, so the protocol errs towards publishing:
 * - A copy starts as "not alone". Before it takes any socket (application bootstrap, before
 *   listen) it subscribes to the presence channel and announces itself; each copy already
 *   running switches to publishing and acknowledges, and the new copy waits for those
 *   acknowledgements. Only a copy whose announcement no other copy received starts alone.
 * - A copy goes back to "alone" only when Redis counts no other subscriber on the channel and
 *   no announcement came in while it asked.
 * - A lost presence subscription (Redis reconnect) or a failed check means "not alone"; a
 *   restored subscription announces the copy again.
 */
@Injectable()
export class ApiCopyPresence implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiCopyPresence.name);
  private readonly id = randomUUID();
  private readonly channel: string;
  private readonly subscriber: Redis;
  private alone = false;
  /** Bumped by every announcement heard and every resubscription: a check started before one is stale. */
  private disturbances = 0;
  private awaitingAcks: { from: Set<string>; expected: number; done: () => void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private subscribedOnce = false;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) keys: RedisKeys,
  ) {
    this.channel = keys.apiCopies;
    this.subscriber = redis.client.duplicate({ connectionName: 'swarm-api-presence', enableAutoPipelining: false });
    this.subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'presence connection error'));
    this.subscriber.on('message', (_channel: string, raw: string) => this.onMessage(raw));
    this.subscriber.on('ready', () => {
      if (!this.subscribedOnce) return;
      // ioredis resubscribes after a reconnect. Announcements sent meanwhile were missed, and
      // copies that counted this one gone may have gone alone: announce again (no wait needed,
      // this copy publishes until its next check).
      this.disturb('presence subscription restored');
      this.publish({ kind: 'hello', from: this.id }).catch((error: Error) => this.logger.warn({ err: error.message }, 'could not announce this api copy again'));
    });
  }

  /** True only while no other api copy can hold a socket this copy broadcasts to. */
  get isAlone(): boolean {
    return this.alone;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Redis unreachable must not keep the api from starting (it serves /health, and /ready says
    // why it is not ready): the announcement then finishes whenever Redis answers, and until it
    // has, this copy is "not alone" and publishes every broadcast.
    const announced = this.announce().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not announce this api copy'));
    if (!(await settlesWithin(announced, STARTUP_WAIT_MS))) this.logger.warn({ waitedMs: STARTUP_WAIT_MS }, 'could not announce this api copy yet (Redis unreachable?); broadcasting through Redis until it can');
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.subscriber.disconnect();
  }

  /** Subscribes, announces this copy and waits until the copies already running have heard it. */
  async announce(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribedOnce = true;
    const acknowledged = new Promise<void>((resolve) => {
      this.awaitingAcks = { from: new Set(), expected: Number.POSITIVE_INFINITY, done: resolve };
    });
    const before = this.disturbances;
    // The count includes this copy's own subscription.
    const others = (await this.publish({ kind: 'hello', from: this.id })) - 1;
    const waiting = this.awaitingAcks!;
    waiting.expected = others;
    if (waiting.from.size >= others) waiting.done();
    const inTime = await settlesWithin(acknowledged, ANNOUNCE_TIMEOUT_MS);
    this.awaitingAcks = null;
    if (!inTime) this.logger.warn({ others, acknowledged: waiting.from.size }, 'not every api copy acknowledged this one in time; taking sockets anyway');
    this.logger.log({ others, acknowledged: waiting.from.size }, 'api copy announced');
    this.setAlone(others === 0 && this.disturbances === before, others === 0 ? 'no other api copy' : `${others} other api copies`);
  }

  /** Asks Redis how many copies listen; "alone" only if just this one and nothing changed meanwhile. */
  check(): Promise<void> {
    // While Redis is away a check waits for it: one at a time, not one more every interval.
    this.checking ??= this.countCopies().finally(() => (this.checking = null));
    return this.checking;
  }

  private async countCopies(): Promise<void> {
    const before = this.disturbances;
    try {
      const reply = (await this.redis.client.pubsub('NUMSUB', this.channel)) as [string, number];
      if (this.disturbances !== before) return;
      const listeners = Number(reply[1]);
      this.setAlone(listeners === 1 && this.subscriber.status === 'ready', `${listeners} api copies listening`);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not count api copies; broadcasting through Redis');
      this.setAlone(false, 'presence check failed');
    }
  }

  private onMessage(raw: string): void {
    let message: PresenceMessage;
    try {
      message = JSON.parse(raw) as PresenceMessage;
    } catch {
      return;
    }
    if (message.from === this.id) return;
    if (message.kind === 'hello') {
      this.disturb('another api copy started');
      this.publish({ kind: 'ack', from: this.id, to: message.from }).catch((error: Error) => this.logger.warn({ err: error.message }, 'could not acknowledge a new api copy'));
      return;
    }
    const waiting = this.awaitingAcks;
    if (message.to !== this.id || !waiting) return;
    waiting.from.add(message.from);
    if (waiting.from.size >= waiting.expected) waiting.done();
  }

  /** Resolves with how many subscribers received it, this copy's own subscription included. */
  private publish(message: PresenceMessage): Promise<number> {
    return this.redis.client.publish(this.channel, JSON.stringify(message));
  }

  private disturb(reason: string): void {
    this.disturbances += 1;
    this.setAlone(false, reason);
  }

  private setAlone(alone: boolean, reason: string): void {
    if (alone === this.alone) return;
    this.alone = alone;
    this.logger.log({ reason }, alone ? 'only api copy: socket broadcasts stay local' : 'other api copies may hold sockets: socket broadcasts go through Redis');
  }
}

/** Whether `promise` settles within `ms` (it goes on either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

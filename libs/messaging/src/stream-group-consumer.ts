import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { hostname } from 'node:os';

export type StreamEntry = [id: string, fields: string[]];
type StreamReply = [string, StreamEntry[]][] | null;

export interface StreamGroupOptions {
  stream: string;
  group: string;
  /** Entries per read. */
  batchSize: number;
  blockMs: number;
  /** Entries another consumer read but never acknowledged for this long are taken over (it died). */
  claimIdleMs: number;
  claimEveryMs: number;
  retryDelayMs: number;
}

/**
 * One worker's loop over a Redis stream consumer group: take over entries an earlier consumer
 * left unacknowledged, read new ones (blocking), hand each batch to `handle`, which
 * acknowledges what it applied. Several workers share a stream; an entry is acknowledged only
 * after its effects are stored, so a crash replays it. Needs its own connection: blocking reads
 * would stall every other command.
 */
export class StreamGroupConsumer {
  readonly consumer = `${hostname()}-${process.pid}`;
  private running = false;
  private loop?: Promise<void>;
  private lastClaimAt = 0;

  constructor(
    private readonly connection: Redis,
    private readonly options: StreamGroupOptions,
    private readonly handle: (entries: StreamEntry[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.ensureGroup();
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in hand; unread entries stay in the stream for the next worker. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
  }

  ack(ids: string[]): Promise<number> {
    return ids.length === 0 ? Promise.resolve(0) : this.connection.xack(this.options.stream, this.options.group, ...ids);
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.connection.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = [...(await this.claimAbandoned()), ...(await this.readNew())];
        if (batch.length > 0) await this.handle(batch);
      } catch (error) {
        this.logger.error({ err: error, stream: this.options.stream }, 'stream batch failed; retrying');
        if (String(error).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      }
    }
  }

  private async readNew(): Promise<StreamEntry[]> {
    const { group, batchSize, blockMs, stream } = this.options;
    const reply = (await this.connection.xreadgroup('GROUP', group, this.consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', stream, '>')) as StreamReply;
    return reply?.[0]?.[1] ?? [];
  }

  private async claimAbandoned(): Promise<StreamEntry[]> {
    if (Date.now() - this.lastClaimAt < this.options.claimEveryMs) return [];
    this.lastClaimAt = Date.now();
    const { stream, group, claimIdleMs, batchSize } = this.options;
    const reply = (await this.connection.xautoclaim(stream, group, this.consumer, claimIdleMs, '0-0', 'COUNT', batchSize)) as [string, StreamEntry[]];
    return reply?.[1] ?? [];
  }
}

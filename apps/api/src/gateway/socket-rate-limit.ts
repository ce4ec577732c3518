import { type AckError, TASK_REPORT_BATCH_MAX } from '@swarm/contracts';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Socket } from 'socket.io';

export interface SocketRateLimitOptions {
  eventsPerSecond: number;
  /**
   * Separate, larger budget for task reports (task.*): an agent sends one or two per task, so
   * the generic budget would cap a swarm's throughput at a few tasks per second per agent.
   * Consensus votes share it: each answers a request the server sent, so the server sets their pace.
   */
  taskReportsPerSecond: number;
  /** Refused events tolerated before the socket is dropped. */
  floodStrikes: number;
  onRefused?: () => void;
  onFlood: (socket: Socket, strikes: number) => void;
}

const RATE_LIMITED: AckError = { code: 'rate_limited', message: 'too many events; slow down' };

/**
 * Per-socket event budget. Over budget, an event is refused (its ack gets rate_limited) and
 * counts as a strike; a socket that keeps flooding is disconnected. Other sockets are never
 * touched: each has its own budget.
 */
export class SocketRateLimit {
  private readonly limiter: RateLimiterMemory;
  private readonly taskReportLimiter: RateLimiterMemory;
  private readonly strikes = new Map<string, number>();

  constructor(private readonly options: SocketRateLimitOptions) {
    this.limiter = new RateLimiterMemory({ points: options.eventsPerSecond, duration: 1 });
    this.taskReportLimiter = new RateLimiterMemory({ points: options.taskReportsPerSecond, duration: 1 });
  }

  /** Installs the limit as the socket's first middleware, so it runs before any handler. */
  attach(socket: Socket): void {
    socket.use((packet, next) => {
      const limiter = typeof packet[0] === 'string' && (packet[0].startsWith('task.') || packet[0] === 'consensus.vote') ? this.taskReportLimiter : this.limiter;
      limiter.consume(socket.id, reportsIn(packet)).then(
        () => next(),
        () => this.refuse(socket, packet),
      );
    });
    socket.once('disconnect', () => {
      this.strikes.delete(socket.id);
      void this.limiter.delete(socket.id);
      void this.taskReportLimiter.delete(socket.id);
    });
  }

  private refuse(socket: Socket, packet: unknown[]): void {
    const strikes = (this.strikes.get(socket.id) ?? 0) + 1;
    this.strikes.set(socket.id, strikes);
    this.options.onRefused?.();
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') (ack as (response: unknown) => void)({ ok: false, error: RATE_LIMITED });
    if (strikes >= this.options.floodStrikes) this.options.onFlood(socket, strikes);
  }
}

/** A batch of task reports spends one point per report (at least one, at most the batch limit). */
function reportsIn(packet: unknown[]): number {
  if (packet[0] !== 'task.report.batch') return 1;
  const reports = (packet[1] as { reports?: unknown } | null)?.reports;
  return Array.isArray(reports) ? Math.min(Math.max(reports.length, 1), TASK_REPORT_BATCH_MAX) : 1;
}

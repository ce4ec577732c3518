/**
 * Reconnection timing. socket.io-client's manager retries dropped transports by itself; these
 * settings configure it, and `reconnectDelay` applies the same curve to the one case the
 * manager leaves to the application: the server closing the socket on purpose.
 */
export interface ReconnectOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** The delay doubles per failed attempt up to this ceiling. */
  maxDelayMs: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({ initialDelayMs: 500, maxDelayMs: 15_000 });

/**
 * ±50 % around the nominal delay, socket.io's default randomisation: agents cut off by the
 * same server restart then come back spread out instead of all in the same millisecond.
 */
export const RECONNECT_JITTER = 0.5;

/** The subset of socket.io-client's ManagerOptions that drives its reconnection. */
export interface SocketReconnectionSettings {
  reconnection: true;
  reconnectionAttempts: number;
  reconnectionDelay: number;
  reconnectionDelayMax: number;
  randomizationFactor: number;
}

/** Fills in defaults and rejects settings that would retry in a tight loop or never. */
export function resolveReconnectOptions(options: Partial<ReconnectOptions> = {}): ReconnectOptions {
  const initialDelayMs = options.initialDelayMs ?? DEFAULT_RECONNECT.initialDelayMs;
  const maxDelayMs = options.maxDelayMs ?? Math.max(DEFAULT_RECONNECT.maxDelayMs, initialDelayMs);
  if (!Number.isFinite(initialDelayMs) || initialDelayMs <= 0) {
    throw new RangeError(`reconnect.initialDelayMs must be a positive number of milliseconds, got ${initialDelayMs}`);
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < initialDelayMs) {
    throw new RangeError(`reconnect.maxDelayMs must be at least initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`);
  }
  return { initialDelayMs, maxDelayMs };
}

export function toSocketReconnectionSettings(options: ReconnectOptions): SocketReconnectionSettings {
  return {
    reconnection: true,
    // An agent is a long-running service: it keeps trying until it is stopped.
    reconnectionAttempts: Infinity,
    reconnectionDelay: options.initialDelayMs,
    reconnectionDelayMax: options.maxDelayMs,
    randomizationFactor: RECONNECT_JITTER,
  };
}

/**
 * Delay before reconnect attempt number `attempt` (1 for the first): initial × 2^(attempt-1),
 * capped at the maximum, then spread by the jitter and capped again.
 */
export function reconnectDelay(attempt: number, options: ReconnectOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const nominal = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  const spread = 1 - RECONNECT_JITTER + 2 * RECONNECT_JITTER * random();
  return Math.round(Math.min(options.maxDelayMs, nominal * spread));
}

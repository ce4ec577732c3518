export interface RetryDelayOptions {
  /** Delay after the first failed attempt. */
  baseMs?: number;
  /** No delay is longer, jitter included. */
  maxMs?: number;
  /** Fraction the delay is spread by either way (0.2: ±20 %). */
  jitter?: number;
  /** Returns 0..1; injectable so tests can pin it. */
  random?: () => number;
}

export const RETRY_DEFAULTS = { baseMs: 1_000, maxMs: 60_000, jitter: 0.2 } as const;

/**
 * Backoff before retrying after the attemptNumber-th attempt failed (1-based):
 * base * 2^(attempt - 1), capped, then spread by ±jitter so tasks that failed together (an
 * agent died holding ten of them) do not all come back in the same millisecond. The cap also
 * bounds the jittered value: maxMs is a promise to users about the longest wait.
 */
export function retryDelayMs(attemptNumber: number, options: RetryDelayOptions = {}): number {
  const baseMs = Math.max(0, options.baseMs ?? RETRY_DEFAULTS.baseMs);
  const maxMs = Math.max(0, options.maxMs ?? RETRY_DEFAULTS.maxMs);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? RETRY_DEFAULTS.jitter));
  const random = options.random ?? Math.random;

  // Bounded exponent: 2^1024 is Infinity, and 0 * Infinity would be NaN for a zero base.
  const exponent = Math.min(1_000, Math.max(0, Math.floor(Number.isFinite(attemptNumber) ? attemptNumber : 1) - 1));
  const capped = Math.min(maxMs, baseMs * 2 ** exponent);
  const spread = 1 + jitter * (2 * clamp01(random()) - 1);
  return Math.round(Math.min(maxMs, capped * spread));
}

export type RetryDecision = { retry: true } | { retry: false; reason: string };

/**
 * After a failed attempt: retry unless the agent said retrying is pointless, or the task has
 * used all its attempts. attemptCount includes the attempt that just failed.
 */
export function decideAfterFailure(input: { attemptCount: number; maxAttempts: number; retryable: boolean }): RetryDecision {
  if (!input.retryable) return { retry: false, reason: 'the failure is not retryable' };
  if (input.attemptCount >= input.maxAttempts) {
    return { retry: false, reason: `out of attempts (${input.attemptCount} of ${input.maxAttempts})` };
  }
  return { retry: true };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
}

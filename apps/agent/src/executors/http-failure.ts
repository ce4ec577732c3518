import { NonRetryableTaskError } from '@swarm/agent-sdk';

/**
 * Statuses that say "not now" rather than "never": the server is down or overloaded, or
 * asks to slow down (429) or timed the request out (408). Worth another attempt.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * The error a task fails with for an HTTP answer it cannot use. `retryable` decides whether
 * the coordinator may try again; the message names the request without its query string,
 * which is where credentials tend to hide.
 */
export function httpStatusFailure(status: number, statusText: string, target: URL, detail: string, retryable: boolean): Error {
  const where = `${target.origin}${target.pathname}`;
  const snippet = detail.trim().slice(0, 300);
  const message = `HTTP ${status}${statusText ? ` ${statusText}` : ''} from ${where}${snippet ? `: ${snippet}` : ''}`;
  return retryable ? new Error(message) : new NonRetryableTaskError(message);
}

/**
 * Turns what fetch threw into the error the task fails with: the task's own abort reason as
 * is (cancelled, timed out, agent stopping), a request timeout or a network failure as a
 * retryable error naming the cause (fetch's "fetch failed" alone says nothing).
 */
export function fetchFailure(error: unknown, target: URL, signal: AbortSignal, timeoutMs: number | undefined): unknown {
  if (signal.aborted) return signal.reason;
  const where = `${target.origin}${target.pathname}`;
  // Duck-typed: fetch's errors come from Node's internals, whose Error may not be this realm's.
  if (isErrorLike(error) && error.name === 'TimeoutError') {
    return new Error(`no response from ${where} within ${timeoutMs} ms`);
  }
  const cause = isErrorLike(error) && isErrorLike(error.cause) ? error.cause : undefined;
  const code = cause && typeof cause.code === 'string' ? cause.code : undefined;
  const reason = code ?? cause?.message ?? (isErrorLike(error) ? error.message : String(error));
  return new Error(`request to ${where} failed: ${reason}`, { cause: error });
}

interface ErrorLike {
  name: string;
  message: string;
  cause?: unknown;
  code?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string' && 'name' in value;
}

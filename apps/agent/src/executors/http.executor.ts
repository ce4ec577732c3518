import type { AgentTask, TaskContext } from '@swarm/agent-sdk';
import { z } from 'zod';
import type { Executor } from './executor';
import { fetchFailure, httpStatusFailure, isRetryableStatus } from './http-failure';
import { parsePayload } from './payload';

/**
 * How much of a response body goes into the result. The coordinator refuses socket messages
 * above 64 KiB by default, and the result also carries headers and JSON escaping.
 */
export const MAX_BODY_BYTES = 32 * 1024;
/** The response headers worth passing on; the rest (cookies, server internals) are noise or sensitive. */
export const RESULT_HEADERS = ['content-type', 'content-length', 'content-language', 'etag', 'last-modified', 'location', 'retry-after', 'cache-control'];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const payloadSchema = z
  .object({
    url: z.string().refine((value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL'),
    method: z
      .string()
      .transform((value) => value.toUpperCase())
      .pipe(z.enum(METHODS, { message: `must be one of ${METHODS.join(', ')}` }))
      .default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    /** A string is sent as is; anything else as JSON. */
    body: z.unknown().optional(),
    timeout_ms: z.number().int().min(1).max(600_000).optional(),
  })
  .refine((payload) => payload.body === undefined || !['GET', 'HEAD'].includes(payload.method), {
    message: 'GET and HEAD requests cannot have a body',
    path: ['body'],
  });

type HttpPayload = z.output<typeof payloadSchema>;

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed when the response says it is JSON (and is not cut); text otherwise, base64 for binary types. */
  body: unknown;
  /** Set when the body was longer than MAX_BODY_BYTES and was cut (then never parsed). */
  truncated?: true;
  encoding?: 'base64';
}

/**
 * Makes the HTTP request the payload describes ({url, method?, headers?, body?, timeout_ms?})
 * and answers {status, headers, body}. Answers the task should not be retried for (4xx) fail
 * it for good; 5xx, 429, 408 and network failures fail it retryably. Aborting the task's
 * signal aborts the request.
 */
export class HttpExecutor implements Executor {
  readonly name = 'http';

  constructor(private readonly maxBodyBytes: number = MAX_BODY_BYTES) {}

  async execute(task: AgentTask, context: TaskContext): Promise<HttpResult> {
    const request = parsePayload(payloadSchema, task.payload);
    const target = new URL(request.url);
    const signal = request.timeout_ms === undefined ? context.signal : AbortSignal.any([context.signal, AbortSignal.timeout(request.timeout_ms)]);
    context.progress(0, `${request.method} ${target.origin}${target.pathname}`);

    let response: Response;
    let body: Awaited<ReturnType<typeof readBody>>;
    try {
      response = await fetch(target, { method: request.method, headers: requestHeaders(request), body: requestBody(request), signal });
      body = await readBody(response, this.maxBodyBytes);
    } catch (error) {
      throw fetchFailure(error, target, context.signal, request.timeout_ms);
    }
    if (response.status >= 400) {
      throw httpStatusFailure(response.status, response.statusText, target, body.text ?? '', isRetryableStatus(response.status));
    }
    context.progress(100);
    const result: HttpResult = { status: response.status, headers: pickHeaders(response.headers), body: body.value };
    if (body.truncated) result.truncated = true;
    if (body.encoding) result.encoding = body.encoding;
    return result;
  }
}

function requestHeaders(request: HttpPayload): Headers {
  const headers = new Headers(request.headers);
  if (request.body !== undefined && typeof request.body !== 'string' && !headers.has('content-type')) {
    headers.set('content-type', 'application/json');
  }
  return headers;
}

function requestBody(request: HttpPayload): string | undefined {
  if (request.body === undefined) return undefined;
  return typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
}

function pickHeaders(headers: Headers): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of RESULT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}

/**
 * Reads at most `maxBytes` of the body and drops the rest unread, so a huge download costs
 * neither memory nor time. Then decides how to carry it: JSON parsed, text as text, anything
 * else (images, archives) as base64, which JSON carries without mangling.
 */
async function readBody(
  response: Response,
  maxBytes: number,
): Promise<{ value: unknown; text?: string; truncated: boolean; encoding?: 'base64' }> {
  const { bytes, truncated } = await readCapped(response, maxBytes);
  const contentType = response.headers.get('content-type')?.toLowerCase() ?? '';
  if (!isTextual(contentType)) {
    return bytes.length === 0 ? { value: '', truncated } : { value: Buffer.from(bytes).toString('base64'), truncated, encoding: 'base64' };
  }
  const text = new TextDecoder().decode(bytes);
  if (!truncated && /[/+]json\b/.test(contentType) && text.trim() !== '') {
    try {
      return { value: JSON.parse(text) as unknown, text, truncated };
    } catch {
      // Says JSON, is not: hand over the text rather than failing a request that succeeded.
    }
  }
  return { value: text, text, truncated };
}

async function readCapped(response: Response, maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    if (value.length > room) {
      chunks.push(value.subarray(0, room));
      size += room;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { bytes: Buffer.concat(chunks), truncated };
}

function isTextual(contentType: string): boolean {
  // No content type at all: most likely text (plain APIs, error pages).
  if (contentType === '') return true;
  return /^text\/|[/+](json|xml)\b|javascript|x-www-form-urlencoded|^application\/(yaml|x-yaml|csv)/.test(contentType);
}

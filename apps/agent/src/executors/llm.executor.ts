import type { AgentTask, TaskContext } from '@swarm/agent-sdk';
import { z } from 'zod';
import type { Executor, LlmSettings } from './executor';
import { fetchFailure, httpStatusFailure, isRetryableStatus } from './http-failure';
import { parsePayload } from './payload';

const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

const payloadSchema = z.union(
  [
    z.object({
      prompt: z.string().min(1),
      /** Sent first, as the system message. */
      system: z.string().optional(),
      max_tokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(2).optional(),
    }),
    z.object({
      messages: z.array(messageSchema).min(1),
      max_tokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(2).optional(),
    }),
  ],
  { message: 'must be {prompt, system?} or {messages: [{role, content}, ...]}, with optional max_tokens and temperature' },
);

/** The part of an OpenAI-style chat completion the result needs; servers add more, which is ignored. */
const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      total_tokens: z.number().optional(),
    })
    .nullable()
    .optional(),
});

export interface LlmResult {
  content: string;
  model: string;
  usage: { prompt_tokens: number | null; completion_tokens: number | null; total_tokens: number | null } | null;
  finish_reason: string | null;
}

/**
 * Asks an OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, llama.cpp...) for one
 * completion. Payload {prompt, system?} or {messages}, with optional max_tokens and
 * temperature; result {content, model, usage, finish_reason}.
 *
 * Failures: 400, 413 and 422 mean the request itself is unusable (prompt too long, bad
 * parameters) and fail the task for good. Anything else is retryable: 429 and 5xx are
 * transient, and 401/403/404 point at this agent's key, model or URL, which another agent
 * (or a fixed configuration) may not share.
 */
export class LlmExecutor implements Executor {
  readonly name = 'llm';
  private readonly endpoint: URL;

  constructor(private readonly settings: LlmSettings) {
    this.endpoint = new URL(`${settings.url.replace(/\/+$/, '')}/chat/completions`);
  }

  async execute(task: AgentTask, context: TaskContext): Promise<LlmResult> {
    const request = parsePayload(payloadSchema, task.payload);
    const messages =
      'messages' in request
        ? request.messages
        : [...(request.system === undefined ? [] : [{ role: 'system' as const, content: request.system }]), { role: 'user' as const, content: request.prompt }];
    const body = {
      model: this.settings.model,
      messages,
      stream: false,
      ...(request.max_tokens === undefined ? {} : { max_tokens: request.max_tokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.settings.apiKey) headers.authorization = `Bearer ${this.settings.apiKey}`;
    context.progress(0, `asking ${this.settings.model}`);

    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal: context.signal });
      text = await response.text();
    } catch (error) {
      throw fetchFailure(error, this.endpoint, context.signal, undefined);
    }
    if (!response.ok) {
      const retryable = isRetryableStatus(response.status) || ![400, 413, 422].includes(response.status);
      throw httpStatusFailure(response.status, response.statusText, this.endpoint, text, retryable);
    }
    const completion = this.parseCompletion(text);
    const [choice] = completion.choices;
    context.progress(100);
    return {
      content: choice.message.content ?? '',
      model: completion.model ?? this.settings.model,
      usage: completion.usage
        ? {
            prompt_tokens: completion.usage.prompt_tokens ?? null,
            completion_tokens: completion.usage.completion_tokens ?? null,
            total_tokens: completion.usage.total_tokens ?? null,
          }
        : null,
      finish_reason: choice.finish_reason ?? null,
    };
  }

  /** A 2xx that is not a completion is the server's fault, not the task's: retryable. */
  private parseCompletion(text: string): z.output<typeof completionSchema> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.endpoint.origin}${this.endpoint.pathname} answered with something other than JSON: ${text.slice(0, 200)}`);
    }
    const parsed = completionSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new Error(`${this.endpoint.origin}${this.endpoint.pathname} answered with no completion: ${problems.join('; ')}`);
    }
    return parsed.data;
  }
}

import { parseArgs } from 'node:util';
import { AGENT_TOKEN_PATTERN } from '@swarm/auth';
import { z } from 'zod';
import { EXECUTOR_NAMES, type ExecutorName, type LlmSettings } from './executors';
import { MAX_SLEEP_MS } from './executors/sleep.executor';

export const USAGE = `usage: agent --url <coordinator URL> --token <agent token> --executor <${EXECUTOR_NAMES.join('|')}>
             [--capabilities <a,b,...>] [--stop-timeout-ms <ms>] [--sleep-ms <ms>]
             [--llm-url <URL> --llm-model <model> [--llm-api-key <key>]]

  --url              coordinator base URL, e.g. http://127.0.0.1:18000   (env SWARM_URL)
  --token            agent token sa_<prefix>_<secret>                    (env SWARM_AGENT_TOKEN;
                     prefer the variable: arguments are visible to other users in ps)
  --executor         what to do with every task the coordinator assigns:
                       echo   answer the payload
                       sleep  wait payload.ms (or --sleep-ms), answer {slept_ms}
                       hash   sha256 chain: payload {data, iterations?} -> {digest}
                       http   request: payload {url, method?, headers?, body?, timeout_ms?}
                              -> {status, headers, body}
                       llm    chat completion: payload {prompt, system?} or {messages}
                              -> {content, model, usage}
  --capabilities     comma-separated; replaces the capabilities stored at registration
  --stop-timeout-ms  on SIGTERM/SIGINT, how long running tasks may finish (10000)
  --sleep-ms         sleep executor: default duration when a task has no payload.ms (100)
  --llm-url          llm executor: OpenAI-compatible API base URL, e.g.
                     http://127.0.0.1:11434/v1 for Ollama                (env SWARM_LLM_URL)
  --llm-model        llm executor: the model to ask                      (env SWARM_LLM_MODEL)
  --llm-api-key      llm executor: bearer key, if the API needs one      (env SWARM_LLM_API_KEY
                     or OPENAI_API_KEY; prefer the variables)

How many tasks run at once is the coordinator's decision (the agent's max_concurrency).

exit codes: 0 stopped on request, 1 failure, 2 bad arguments, 3 connection refused (token)`;

export interface AgentOptions {
  url: string;
  token: string;
  executor: ExecutorName;
  sleepMs: number;
  /** Absent: the capabilities stored on the server stay as they are. */
  capabilities?: string[];
  stopTimeoutMs: number;
  /** Present with --executor llm only. */
  llm?: LlmSettings;
}

export type AgentOptionsOutcome =
  | { kind: 'options'; options: AgentOptions }
  | { kind: 'help' }
  | { kind: 'invalid'; problems: string[] };

/** The coordinator's own rules for capabilities (RegisterMessage), checked here to fail early. */
const CAPABILITY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const MAX_CAPABILITIES = 64;

const optionsSchema = z.object({
  url: z
    .string({ message: 'is required' })
    .refine((value) => {
      try {
        return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) or ws(s) URL, e.g. http://127.0.0.1:18000'),
  token: z
    .string({ message: 'is required' })
    .regex(AGENT_TOKEN_PATTERN, 'must look like sa_<8 letters/digits>_<32+ letters/digits>'),
  executor: z.enum(EXECUTOR_NAMES, { message: `is required: one of ${EXECUTOR_NAMES.join(', ')}` }),
  sleepMs: z.coerce.number().int('must be a whole number').min(0).max(MAX_SLEEP_MS).default(100),
  capabilities: z
    .string()
    .transform((value, context) => {
      const capabilities = [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))];
      const invalid = capabilities.filter((capability) => !CAPABILITY.test(capability));
      const problem =
        invalid.length > 0
          ? `invalid capability "${invalid.join('", "')}": use letters, digits and . _ : / - (64 characters at most)`
          : capabilities.length === 0
            ? 'must name at least one capability'
            : capabilities.length > MAX_CAPABILITIES
              ? `at most ${MAX_CAPABILITIES} capabilities, got ${capabilities.length}`
              : undefined;
      if (problem) {
        context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return capabilities;
    })
    .optional(),
  stopTimeoutMs: z.coerce.number().int('must be a whole number').min(0).max(600_000).default(10_000),
  llmUrl: z.string().refine(isHttpUrl, 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1').optional(),
  llmModel: z.string().optional(),
  llmApiKey: z.string().optional(),
});

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** How each field is named in messages: the flag, and the variable when it has one. */
const FIELD_LABELS: Record<keyof z.input<typeof optionsSchema>, string> = {
  url: '--url (or SWARM_URL)',
  token: '--token (or SWARM_AGENT_TOKEN)',
  executor: '--executor',
  sleepMs: '--sleep-ms',
  capabilities: '--capabilities',
  stopTimeoutMs: '--stop-timeout-ms',
  llmUrl: '--llm-url (or SWARM_LLM_URL)',
  llmModel: '--llm-model (or SWARM_LLM_MODEL)',
  llmApiKey: '--llm-api-key (or SWARM_LLM_API_KEY)',
};

/**
 * Reads the command line and the environment once, into a typed object. Flags win over the
 * environment; an empty value counts as not given.
 */
export function parseAgentOptions(argv: string[], env: Record<string, string | undefined>): AgentOptionsOutcome {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        executor: { type: 'string' },
        'sleep-ms': { type: 'string' },
        capabilities: { type: 'string' },
        'stop-timeout-ms': { type: 'string' },
        'llm-url': { type: 'string' },
        'llm-model': { type: 'string' },
        'llm-api-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // parseArgs throws plain TypeErrors with readable messages (unknown option, missing value).
    const message = error !== null && typeof error === 'object' && 'message' in error ? String(error.message) : String(error);
    return { kind: 'invalid', problems: [message] };
  }
  if (values.help) return { kind: 'help' };

  const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
  const input = {
    url: given(values.url) ?? given(env.SWARM_URL),
    token: given(values.token) ?? given(env.SWARM_AGENT_TOKEN),
    executor: given(values.executor),
    sleepMs: given(values['sleep-ms']),
    capabilities: values.capabilities,
    stopTimeoutMs: given(values['stop-timeout-ms']),
    llmUrl: given(values['llm-url']) ?? given(env.SWARM_LLM_URL),
    llmModel: given(values['llm-model']) ?? given(env.SWARM_LLM_MODEL),
    llmApiKey: given(values['llm-api-key']) ?? given(env.SWARM_LLM_API_KEY) ?? given(env.OPENAI_API_KEY),
  };
  const parsed = optionsSchema.safeParse(input);
  // Checked beside the schema rather than in it, so these come out with every other problem.
  const missingForExecutor: Array<keyof typeof FIELD_LABELS> =
    input.executor === 'llm' ? (['llmUrl', 'llmModel'] as const).filter((field) => input[field] === undefined) : [];
  if (!parsed.success || missingForExecutor.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues;
    return {
      kind: 'invalid',
      problems: [
        ...issues.map((issue) => {
          const field = issue.path[0] as keyof typeof FIELD_LABELS | undefined;
          return `${field ? FIELD_LABELS[field] : '(arguments)'}: ${issue.message}`;
        }),
        ...missingForExecutor.map((field) => `${FIELD_LABELS[field]}: is required with --executor llm`),
      ],
    };
  }
  const { capabilities, llmUrl, llmModel, llmApiKey, ...rest } = parsed.data;
  const options: AgentOptions = capabilities ? { ...rest, capabilities } : rest;
  // Only the llm executor uses these; other executors ignore them rather than refuse them.
  if (rest.executor === 'llm' && llmUrl !== undefined && llmModel !== undefined) {
    options.llm = llmApiKey === undefined ? { url: llmUrl, model: llmModel } : { url: llmUrl, model: llmModel, apiKey: llmApiKey };
  }
  return { kind: 'options', options };
}

import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const WORKER_ROLES = ['swarm-lifecycle', 'health-monitor', 'heartbeat-persister', 'metrics-rollup', 'task-distributor', 'task-reports', 'task-maintenance', 'consensus-deadlines'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlWithScheme = (schemes: string[]) =>
  z
    .string({ message: 'is required' })
    .min(1, 'is required')
    .refine((value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    }, `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`);

/**
 * Every setting the processes read. Parsed once at start-up; nothing else reads process.env.
 * Names are the environment variable names so an error message can quote them verbatim.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(18000),
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: urlWithScheme(['redis', 'rediss']),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
    .default('swarm'),
  JWT_SECRET: z.string({ message: 'is required' }).min(32, 'must be at least 32 characters'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  BOOTSTRAP_ADMIN_KEY: z
    .string()
    .regex(/^sc_[A-Za-z0-9]{8}_[A-Za-z0-9]{32,}$/, 'must look like sc_<8 letters/digits>_<32+ letters/digits>')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: booleanFlag.optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  SOCKET_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(512 * 1024),
  SOCKET_EVENTS_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(20),
  SOCKET_FLOOD_STRIKES: z.coerce.number().int().min(1).max(100_000).default(100),
  HEARTBEAT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** An assignment not acknowledged by the agent within this time is given to another agent. */
  TASK_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Port of the worker's Prometheus endpoint (GET /metrics on HOST); 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(18001),
  WORKER_ROLES: z
    .string()
    .default(WORKER_ROLES.join(','))
    .transform((value, ctx) => {
      const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
      const unknown = roles.filter((r) => !(WORKER_ROLES as readonly string[]).includes(r));
      if (unknown.length > 0 || roles.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown role(s) "${unknown.join(', ')}"; known: ${WORKER_ROLES.join(', ')}`,
        });
        return z.NEVER;
      }
      return roles as WorkerRole[];
    }),
});

export type RawConfig = z.infer<typeof configSchema>;

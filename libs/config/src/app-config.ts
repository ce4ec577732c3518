import { configSchema, RawConfig, WorkerRole } from './config.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The typed, validated settings every process receives through dependency injection. */
export interface AppConfig {
  readonly env: RawConfig['NODE_ENV'];
  readonly http: { host: string; port: number; bodyLimitBytes: number };
  readonly database: { url: string; poolSize: number };
  readonly redis: { url: string; keyPrefix: string };
  readonly auth: { jwtSecret: string; jwtTtlSeconds: number; bootstrapAdminKey?: string };
  readonly log: { level: RawConfig['LOG_LEVEL']; pretty: boolean };
  readonly sockets: {
    maxPayloadBytes: number;
    /** Events a socket may send per second before they are refused. */
    eventsPerSecond: number;
    /** Refused events after which a flooding socket is disconnected. */
    floodStrikes: number;
  };
  readonly heartbeatBatchSize: number;
  readonly shutdownTimeoutMs: number;
  readonly tasks: { ackTimeoutMs: number };
  readonly worker: {
    roles: WorkerRole[];
    /** Port of the worker's Prometheus endpoint (bound on http.host); 0 = no endpoint. */
    metricsPort: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Parses an environment-like record; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const withoutBlanks = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(withoutBlanks);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const c = parsed.data;
  return Object.freeze({
    env: c.NODE_ENV,
    http: { host: c.HOST, port: c.PORT, bodyLimitBytes: c.BODY_LIMIT_BYTES },
    database: { url: c.DATABASE_URL, poolSize: c.DATABASE_POOL_SIZE },
    redis: { url: c.REDIS_URL, keyPrefix: c.REDIS_KEY_PREFIX },
    auth: {
      jwtSecret: c.JWT_SECRET,
      jwtTtlSeconds: c.JWT_TTL_SECONDS,
      bootstrapAdminKey: c.BOOTSTRAP_ADMIN_KEY,
    },
    log: { level: c.LOG_LEVEL, pretty: c.LOG_PRETTY ?? c.NODE_ENV === 'development' },
    sockets: {
      maxPayloadBytes: c.SOCKET_MAX_PAYLOAD_BYTES,
      eventsPerSecond: c.SOCKET_EVENTS_PER_SECOND,
      floodStrikes: c.SOCKET_FLOOD_STRIKES,
    },
    heartbeatBatchSize: c.HEARTBEAT_BATCH_SIZE,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    tasks: { ackTimeoutMs: c.TASK_ACK_TIMEOUT_MS },
    worker: { roles: c.WORKER_ROLES, metricsPort: c.WORKER_METRICS_PORT },
  });
}

/** For process entry points: print the problems and exit instead of a stack trace. */
export function loadConfigOrExit(env: Record<string, string | undefined>): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every setting.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

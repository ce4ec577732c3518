/**
 * The logging surface the SDK needs: structured fields first, then a message. A pino logger
 * (or a child of one) satisfies it as is; so does a thin wrapper around anything else.
 */
export interface AgentLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const ignore = (): void => undefined;

/** Used when the caller passes no logger: a library must not write to stdout on its own. */
export const silentLogger: AgentLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '@swarm/config';
import type { Params } from 'nestjs-pino';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's request id when it is sane, so logs join across services; else a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  return id;
}

/** Anything that could let a reader of the logs act as someone else. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.key',
  '*.token',
  '*.access_token',
  '*.password',
  '*.secret',
  '*.jwtSecret',
];

/** One logger setup for every process: service name and version on each line, secrets redacted. */
export function loggerParams(config: AppConfig, service: string, version: string): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      base: { service, version, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req) => (req.headers[REQUEST_ID_HEADER] as string | undefined) ?? requestIdFor(req),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/ready' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
      transport: config.log.pretty
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
        : undefined,
    },
  };
}

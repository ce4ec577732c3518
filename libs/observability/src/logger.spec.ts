import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS, requestIdFor } from './logger';
import type { IncomingMessage } from 'node:http';

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  return { logger, lines };
}

describe('logger redaction', () => {
  it('never writes credentials from request headers or payloads', () => {
    const { logger, lines } = captureLogger();
    const secretKey = 'sc_AbCd1234_0123456789abcdefghijklmnopqrstuv';
    logger.info({
      req: { headers: { authorization: 'Bearer eyJhbGciOi.secret.sig', 'x-api-key': secretKey, cookie: 'sid=1' } },
      body: { key: secretKey, token: 't0k3n', password: 'hunter2' },
    });
    const output = lines.join('');
    for (const secret of [secretKey, 'eyJhbGciOi', 'sid=1', 't0k3n', 'hunter2']) expect(output).not.toContain(secret);
    expect(output).toContain('[redacted]');
  });
});

describe('requestIdFor', () => {
  const request = (id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

  it('keeps a sane incoming id', () => {
    expect(requestIdFor(request('abc-123'))).toBe('abc-123');
  });

  it('replaces a missing or unsafe id with a UUID', () => {
    expect(requestIdFor(request())).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(request('bad id\nwith newline'))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(request('x'.repeat(500)))).toMatch(/^[0-9a-f-]{36}$/);
  });
});

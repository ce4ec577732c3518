import { NonRetryableTaskError } from '@swarm/agent-sdk';
import { HttpExecutor } from './http.executor';
import { startLocalServer } from './local-server';
import { contextFor } from './test-context';

describe('http executor', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  const http = new HttpExecutor(1_024);
  const run = (payload: unknown, signal?: AbortSignal) => http.execute({ id: 't1', type: 'fetch', payload }, contextFor('t1', signal).context);

  beforeAll(async () => {
    server = await startLocalServer((request, response) => {
      const path = new URL(request.url, 'http://local').pathname;
      switch (path) {
        case '/json':
          response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: '"v1"', 'set-cookie': 'session=secret', 'x-internal': 'yes' });
          response.end(JSON.stringify({ ok: true, items: [1, 2] }));
          return;
        case '/echo':
          response.writeHead(201, { 'content-type': 'text/plain' });
          response.end(`${request.method} ${request.headers['content-type'] ?? '-'} ${request.body}`);
          return;
        case '/big':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ padding: 'x'.repeat(10_000) }));
          return;
        case '/binary':
          response.writeHead(200, { 'content-type': 'image/png' });
          response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
          return;
        case '/slow':
          setTimeout(() => response.end('late'), 2_000).unref();
          return;
        default: {
          const status = Number(path.slice(1));
          response.writeHead(Number.isInteger(status) && status >= 200 ? status : 404, { 'content-type': 'text/plain' });
          response.end(`answer for ${path}`);
        }
      }
    });
  });

  afterAll(() => server.close());

  it('answers status, the useful headers and the parsed JSON body', async () => {
    await expect(run({ url: `${server.url}/json`, headers: { 'x-trace': 'abc' } })).resolves.toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', etag: '"v1"' },
      body: { ok: true, items: [1, 2] },
    });
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', headers: expect.objectContaining({ 'x-trace': 'abc' }) });
  });

  it('sends a JSON body as JSON and a string body as is', async () => {
    await expect(run({ url: `${server.url}/echo`, method: 'post', body: { name: 'swarm' } })).resolves.toMatchObject({
      status: 201,
      body: 'POST application/json {"name":"swarm"}',
    });
    await expect(run({ url: `${server.url}/echo`, method: 'PUT', body: 'a=1', headers: { 'content-type': 'text/x-custom' } })).resolves.toMatchObject({
      body: 'PUT text/x-custom a=1',
    });
  });

  it('cuts a body above the size cap (then leaves it unparsed), and carries binary bodies as base64', async () => {
    const big = (await run({ url: `${server.url}/big` })) as { body: string; truncated?: boolean };
    expect(big.truncated).toBe(true);
    expect(typeof big.body).toBe('string');
    expect(Buffer.byteLength(big.body)).toBe(1_024);

    await expect(run({ url: `${server.url}/binary` })).resolves.toMatchObject({
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64'),
      encoding: 'base64',
    });
  });

  it('fails retryably on 5xx and 429, for good on other 4xx, naming the status but not the query string', async () => {
    const unavailable = run({ url: `${server.url}/503?api_key=secret` });
    await expect(unavailable).rejects.toThrow('HTTP 503 Service Unavailable from http://127.0.0.1:');
    await expect(unavailable).rejects.not.toBeInstanceOf(NonRetryableTaskError);
    await expect(unavailable).rejects.toThrow(/answer for \/503$/);
    await expect(unavailable).rejects.not.toThrow(/secret/);
    await expect(run({ url: `${server.url}/429` })).rejects.not.toBeInstanceOf(NonRetryableTaskError);

    const missing = run({ url: `${server.url}/404` });
    await expect(missing).rejects.toBeInstanceOf(NonRetryableTaskError);
    await expect(missing).rejects.toThrow(/^HTTP 404 Not Found/);
  });

  it('fails retryably when the payload timeout passes or the server cannot be reached', async () => {
    const slow = run({ url: `${server.url}/slow`, timeout_ms: 50 });
    await expect(slow).rejects.toThrow(/no response from http:\/\/127\.0\.0\.1:\d+\/slow within 50 ms/);
    await expect(slow).rejects.not.toBeInstanceOf(NonRetryableTaskError);

    const closed = await startLocalServer(() => undefined);
    await closed.close();
    const unreachable = run({ url: closed.url });
    await expect(unreachable).rejects.toThrow(/request to http:\/\/127\.0\.0\.1:\d+\/ failed: ECONNREFUSED/);
    await expect(unreachable).rejects.not.toBeInstanceOf(NonRetryableTaskError);
  });

  it('gives up with the task signal’s reason when the task is aborted', async () => {
    const controller = new AbortController();
    const running = run({ url: `${server.url}/slow` }, controller.signal);
    setTimeout(() => controller.abort(new Error('task cancelled')), 20);
    await expect(running).rejects.toThrow('task cancelled');
  });

  it('refuses a payload it cannot send, for good', async () => {
    for (const payload of [null, { url: 'ftp://example.com/file' }, { url: `${server.url}/json`, body: 'x' }, { url: `${server.url}/json`, method: 'FETCH' }]) {
      await expect(run(payload)).rejects.toBeInstanceOf(NonRetryableTaskError);
    }
    await expect(run({ url: `${server.url}/json`, method: 'GET', body: 'x' })).rejects.toThrow('payload.body: GET and HEAD requests cannot have a body');
  });
});

/**
 * Express vs Fastify throughput for a minimal Nest HTTP app.
 *
 *   npx tsx bench/http-adapters.bench.ts [--duration=10] [--connections=50] [--adapters=express,fastify]
 *
 * The parent process only generates load; each adapter is served by its own
 * forked copy of this file (`--serve=<adapter>`), so neither server inherits
 * the other's heap, JIT profile or GC pressure.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Module, Post, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

const ADAPTERS = ['express', 'fastify'] as const;
type AdapterName = (typeof ADAPTERS)[number];

const HOST = '127.0.0.1';
const WARMUP_SECONDS = 3;
const PIPELINING = 1;
const STARTUP_TIMEOUT_MS = 20_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------
// Server side (child process)
// ---------------------------------------------------------------------------

class EchoDto {
  @IsString()
  @Length(1, 64)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  count!: number;

  @IsOptional()
  @IsBoolean()
  urgent?: boolean;
}

interface PingResponse {
  ok: true;
  service: string;
}

@Controller()
class BenchController {
  @Get('ping')
  ping(): PingResponse {
    return { ok: true, service: 'bench' };
  }

  // tsx compiles with esbuild, which does not emit `design:paramtypes`. Without
  // it the ValidationPipe sees no metatype and silently skips validation, which
  // would make /echo look cheaper than it is in the real app, so it is set by hand.
  @Post('echo')
  @Reflect.metadata('design:paramtypes', [EchoDto])
  echo(@Body() dto: EchoDto): EchoDto {
    return dto;
  }
}

@Module({ controllers: [BenchController] })
class BenchModule {}

// Adapters are imported lazily so each child only loads the framework it serves.
async function createApp(adapter: AdapterName): Promise<INestApplication> {
  if (adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(BenchModule, new FastifyAdapter({ logger: false }), { logger: false });
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return NestFactory.create(BenchModule, new ExpressAdapter(), { logger: false });
}

function listeningPort(app: INestApplication): number {
  const server: { address(): AddressInfo | string | null } = app.getHttpServer();
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`unexpected server address: ${String(address)}`);
  }
  return address.port;
}

async function serve(adapter: AdapterName): Promise<void> {
  const app = await createApp(adapter);
  // Same pipe options as the real api, so validation cost is part of the measurement.
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Port 0 lets the OS pick a free port; the parent learns it over IPC.
  await app.listen(0, HOST);
  // The IPC channel closes when the parent exits for any reason, so the server
  // can never outlive the benchmark.
  process.on('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', port: listeningPort(app) } satisfies ReadyMessage);
}

// ---------------------------------------------------------------------------
// Load generator side (parent process)
// ---------------------------------------------------------------------------

interface ReadyMessage {
  type: 'ready';
  port: number;
}

interface BenchOptions {
  durationSeconds: number;
  connections: number;
  adapters: AdapterName[];
}

interface RouteSpec {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

interface RouteResult {
  adapter: AdapterName;
  route: string;
  reqPerSec: number;
  reqPerSecStddev: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

interface ServerHandle {
  child: ChildProcess;
  baseUrl: string;
}

const ECHO_PAYLOAD = { name: 'worker-17', count: 42, urgent: true };

const ROUTES: readonly RouteSpec[] = [
  { label: 'GET /ping', method: 'GET', path: '/ping' },
  { label: 'POST /echo', method: 'POST', path: '/echo', body: JSON.stringify(ECHO_PAYLOAD) },
];

function log(message: string): void {
  const time = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[${time}] ${message}\n`);
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function isAdapterName(value: string): value is AdapterName {
  return (ADAPTERS as readonly string[]).includes(value);
}

function parseAdapters(raw: string | undefined): AdapterName[] {
  if (raw === undefined) return [...ADAPTERS];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isAdapterName(name));
  if (unknown.length > 0) throw new Error(`unknown adapter(s): ${unknown.join(', ')}`);
  return names.filter(isAdapterName);
}

function parseOptions(argv: readonly string[]): BenchOptions {
  return {
    durationSeconds: positiveInt(flagValue(argv, 'duration'), 10, 'duration'),
    connections: positiveInt(flagValue(argv, 'connections'), 50, 'connections'),
    adapters: parseAdapters(flagValue(argv, 'adapters')),
  };
}

function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as Partial<ReadyMessage>).type === 'ready';
}

function waitForReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in time')), STARTUP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited before it was ready (code ${String(code)})`));
    });
    child.on('message', (message: unknown) => {
      if (!isReadyMessage(message)) return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
}

async function startServer(adapter: AdapterName): Promise<ServerHandle> {
  // fork() reuses process.execArgv, which carries the TypeScript loader, so the
  // child runs this same .ts file without a build step.
  const child = fork(__filename, [`--serve=${adapter}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await waitForReady(child);
    return { child, baseUrl: `http://${HOST}:${port}` };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function stopServer({ child }: ServerHandle): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.disconnect();
  });
}

async function expectStatus(url: string, init: RequestInit, expected: number, what: string): Promise<void> {
  // A hung server must fail the run rather than stall it.
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(SHUTDOWN_TIMEOUT_MS) });
  await response.arrayBuffer();
  if (response.status !== expected) throw new Error(`${what}: expected HTTP ${expected}, got ${response.status}`);
}

// A benchmark of a misconfigured app is worthless, so prove both routes behave
// like the real api (including rejection of unknown fields) before loading them.
async function sanityCheck(baseUrl: string): Promise<void> {
  const json = { 'content-type': 'application/json' };
  await expectStatus(`${baseUrl}/ping`, { method: 'GET' }, 200, 'GET /ping');
  await expectStatus(`${baseUrl}/echo`, { method: 'POST', headers: json, body: JSON.stringify(ECHO_PAYLOAD) }, 201, 'valid POST /echo');
  const extraField = JSON.stringify({ ...ECHO_PAYLOAD, role: 'admin' });
  await expectStatus(`${baseUrl}/echo`, { method: 'POST', headers: json, body: extraField }, 400, 'POST /echo with unknown field');
  const badType = JSON.stringify({ ...ECHO_PAYLOAD, count: 'many' });
  await expectStatus(`${baseUrl}/echo`, { method: 'POST', headers: json, body: badType }, 400, 'POST /echo with invalid field');
}

function runLoad(baseUrl: string, route: RouteSpec, durationSeconds: number, connections: number, onSecond?: (tick: autocannon.TickEvent) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}${route.path}`,
        method: route.method,
        connections,
        pipelining: PIPELINING,
        duration: durationSeconds,
        ...(route.body === undefined ? {} : { body: route.body, headers: { 'content-type': 'application/json' } }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (onSecond) instance.on('tick', onSecond);
  });
}

// One line every few seconds is enough to show the run is alive without the
// parent spending CPU the load generator needs.
function progressReporter(prefix: string): (tick: autocannon.TickEvent) => void {
  let seconds = 0;
  return ({ counter }) => {
    seconds += 1;
    if (seconds % 5 === 0) log(`${prefix}   ${seconds}s  ~${counter} req/s`);
  };
}

async function measureRoute(adapter: AdapterName, server: ServerHandle, route: RouteSpec, options: BenchOptions): Promise<RouteResult> {
  const prefix = `[${adapter}] ${route.label}`;
  log(`${prefix}: warm-up ${WARMUP_SECONDS}s`);
  await runLoad(server.baseUrl, route, WARMUP_SECONDS, options.connections);
  log(`${prefix}: measuring ${options.durationSeconds}s with ${options.connections} connections`);
  const result = await runLoad(server.baseUrl, route, options.durationSeconds, options.connections, progressReporter(prefix));
  const measured: RouteResult = {
    adapter,
    route: route.label,
    reqPerSec: result.requests.mean,
    reqPerSecStddev: result.requests.stddev,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
  log(`${prefix}: ${Math.round(measured.reqPerSec)} ± ${Math.round(measured.reqPerSecStddev)} req/s, p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms`);
  return measured;
}

async function benchAdapter(adapter: AdapterName, options: BenchOptions): Promise<RouteResult[]> {
  log(`[${adapter}] starting server`);
  const server = await startServer(adapter);
  try {
    log(`[${adapter}] listening on ${server.baseUrl}, checking routes`);
    await sanityCheck(server.baseUrl);
    const results: RouteResult[] = [];
    // Sequential on purpose: concurrent routes would compete for the same core.
    for (const route of ROUTES) results.push(await measureRoute(adapter, server, route, options));
    return results;
  } finally {
    await stopServer(server);
    log(`[${adapter}] server stopped`);
  }
}

function formatTable(results: readonly RouteResult[]): string {
  // Per-second stddev is shown because a 2-core box is noisy; a difference
  // smaller than it should not be read as a win.
  const header = ['adapter', 'route', 'req/s (mean)', 'req/s stddev', 'p50 ms', 'p99 ms', 'errors/non-2xx'];
  const rows = results.map((r) => [r.adapter, r.route, r.reqPerSec.toFixed(0), r.reqPerSecStddev.toFixed(0), r.p50Ms.toFixed(0), r.p99Ms.toFixed(0), `${r.errors}/${r.non2xx}`]);
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col]?.length ?? 0)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), separator, ...rows.map(line)].join('\n');
}

function percentFaster(faster: number, slower: number): string {
  return `${((faster / slower - 1) * 100).toFixed(1)}%`;
}

function compareRoute(route: string, a: RouteResult, b: RouteResult): string {
  const [winner, loser] = a.reqPerSec >= b.reqPerSec ? [a, b] : [b, a];
  return `${route}: ${winner.adapter} faster by ${percentFaster(winner.reqPerSec, loser.reqPerSec)} (${winner.reqPerSec.toFixed(0)} vs ${loser.reqPerSec.toFixed(0)} req/s)`;
}

// The geometric mean of per-route ratios weighs both routes equally even though
// /ping has a much higher absolute rate than /echo.
function overallVerdict(pairs: ReadonlyArray<readonly [RouteResult, RouteResult]>): string {
  const [first, second] = pairs[0] ?? [];
  if (!first || !second) return 'no comparison possible';
  const logRatio = pairs.reduce((sum, [a, b]) => sum + Math.log(a.reqPerSec / b.reqPerSec), 0) / pairs.length;
  const ratio = Math.exp(logRatio);
  const [winner, loser, factor] = ratio >= 1 ? [first.adapter, second.adapter, ratio] : [second.adapter, first.adapter, 1 / ratio];
  return `Overall: ${winner} is faster than ${loser} by ${((factor - 1) * 100).toFixed(1)}% (geometric mean over routes)`;
}

function printComparison(results: readonly RouteResult[], adapters: readonly AdapterName[]): void {
  const [a, b] = adapters;
  if (a === undefined || b === undefined) return;
  const pairs: Array<readonly [RouteResult, RouteResult]> = [];
  for (const route of ROUTES) {
    const left = results.find((r) => r.adapter === a && r.route === route.label);
    const right = results.find((r) => r.adapter === b && r.route === route.label);
    if (!left || !right) continue;
    pairs.push([left, right]);
    console.log(compareRoute(route.label, left, right));
  }
  if (pairs.length > 0) console.log(overallVerdict(pairs));
}

async function main(options: BenchOptions): Promise<void> {
  log(`node ${process.version}, adapters: ${options.adapters.join(', ')}, warm-up ${WARMUP_SECONDS}s, duration ${options.durationSeconds}s, connections ${options.connections}, pipelining ${PIPELINING}`);
  const results: RouteResult[] = [];
  for (const adapter of options.adapters) results.push(...(await benchAdapter(adapter, options)));
  console.log(`\n${formatTable(results)}\n`);
  printComparison(results, options.adapters);
}

function fail(err: unknown): void {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}

const serveFlag = flagValue(process.argv, 'serve');
if (serveFlag !== undefined) {
  if (!isAdapterName(serveFlag)) fail(new Error(`unknown adapter: ${serveFlag}`));
  else serve(serveFlag).catch(fail);
} else {
  main(parseOptions(process.argv.slice(2))).catch(fail);
}

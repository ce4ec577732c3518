/**
 * The task benchmark's agents, run as their own process (forked by bench/tasks.bench.ts) so
 * their CPU time and heap never count as the services'. Two modes:
 *
 * - connect-agents: one AgentClient (libs/agent-sdk) per token against the coordinator, with a
 *   no-op handler for every task type (resolves { ok: true } at once). The SDK acknowledges
 *   each assignment and reports the result itself.
 * - connect-raw: bare socket.io clients against the baseline's server, acking every `task`
 *   event at once — the same work on the agent side, minus the SDK's protocol.
 *
 * Either way it records, per task id, when the first attempt reached the agent (the SDK's
 * 'task-started' event when it has one, else the handler's first line, whichever is earlier)
 * and hands the receipts to the parent when asked.
 */
import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AgentClient, ANY_TASK_TYPE } from '@swarm/agent-sdk';
import { io, type Socket } from 'socket.io-client';
import { isTypedMessage } from '../common/ipc-child';
import { errorText, runPool } from '../common/util';
import type { FleetCommand, FleetCounters, FleetReport, Receipts } from './protocol';

const CONNECT_CONCURRENCY = 50;
const CONNECT_TIMEOUT_MS = 30_000;
const PROGRESS_EVERY_MS = 1_000;
const STOP_TIMEOUT_MS = 5_000;
/** Event-loop delay sampling interval; the histogram includes it, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;

const clients: AgentClient[] = [];
const rawSockets: Socket[] = [];
/** Task id → first receive time (ms since the epoch), since the last take-receipts. */
let firstSeen = new Map<string, number>();
/** Task id → handler runs, for ids that ran more than once, since the last take-receipts. */
let repeated = new Map<string, number>();
/** Every id ever seen, so a repeat across take-receipts is still a repeat. */
const everSeen = new Set<string>();
/** Ids whose handler has run at least once (everSeen also holds ids only seen in 'task-started'). */
const handled = new Set<string>();
const counters: FleetCounters = { runs: 0, distinct: 0, repeats: 0, notCompleted: {}, connected: 0, disconnects: 0 };
let closing = false;
let window: { cpu: NodeJS.CpuUsage; startedAt: number; loopDelay: ReturnType<typeof monitorEventLoopDelay> } | null = null;

function send(message: FleetReport): void {
  process.send?.(message);
}

/** The earliest sighting of an attempt counts; a sighting of a known id is a repeat only from the handler. */
function sighted(taskId: string, at: number): void {
  const seen = firstSeen.get(taskId);
  if (seen === undefined) {
    if (everSeen.has(taskId)) return;
    firstSeen.set(taskId, at);
    everSeen.add(taskId);
    counters.distinct += 1;
  } else if (at < seen) {
    firstSeen.set(taskId, at);
  }
}

function handlerRan(taskId: string, at: number): void {
  counters.runs += 1;
  if (handled.has(taskId)) {
    counters.repeats += 1;
    repeated.set(taskId, (repeated.get(taskId) ?? 1) + 1);
  } else {
    handled.add(taskId);
  }
  sighted(taskId, at);
}

async function connectAgents(url: string, tokens: string[]): Promise<void> {
  let failed = 0;
  let sampleError: string | null = null;
  const maxConcurrency: number[] = [];
  await runPool(tokens.length, CONNECT_CONCURRENCY, async (index) => {
    const client = new AgentClient({ url, token: tokens[index]!, stopTimeoutMs: STOP_TIMEOUT_MS, registerTimeoutMs: CONNECT_TIMEOUT_MS });
    client.onTask(ANY_TASK_TYPE, async (task) => {
      handlerRan(task.id, Date.now());
      return { ok: true };
    });
    // 'task-started' (SDK with the task protocol) fires when the attempt reaches its handler;
    // subscribed untyped so this file also compiles against an SDK without it.
    const events = client as unknown as EventEmitter;
    events.on('task-started', (info: { taskId?: unknown }) => {
      if (typeof info?.taskId === 'string') sighted(info.taskId, Date.now());
    });
    events.on('task-finished', (info: { outcome?: unknown }) => {
      if (typeof info?.outcome === 'string' && info.outcome !== 'completed') counters.notCompleted[info.outcome] = (counters.notCompleted[info.outcome] ?? 0) + 1;
    });
    client.on('disconnected', () => {
      if (!closing) counters.disconnects += 1;
    });
    client.on('error', () => undefined);
    try {
      const info = await client.connect();
      clients.push(client);
      maxConcurrency.push(info.max_concurrency);
    } catch (error) {
      failed += 1;
      sampleError ??= errorText(error);
      void client.stop('could not connect');
    }
  });
  send({ type: 'connected', connected: clients.length, failed, sampleError, maxConcurrency });
}

function connectRaw(url: string, count: number): Promise<void> {
  let failed = 0;
  let sampleError: string | null = null;
  return runPool(count, CONNECT_CONCURRENCY, async () => {
    // forceNew: one WebSocket per client, as each SDK agent has its own.
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: CONNECT_TIMEOUT_MS });
    socket.on('task', (task: { task_id: string }, ack: (response: { ok: true }) => void) => {
      handlerRan(task.task_id, Date.now());
      ack({ ok: true });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      socket.on('disconnect', () => {
        if (!closing) counters.disconnects += 1;
      });
      rawSockets.push(socket);
    } catch (error) {
      failed += 1;
      sampleError ??= errorText(error);
      socket.close();
    }
  }).then(() => send({ type: 'connected', connected: rawSockets.length, failed, sampleError, maxConcurrency: [] }));
}

function connectedNow(): number {
  return clients.filter((c) => c.isRegistered).length + rawSockets.filter((s) => s.connected).length;
}

function takeReceipts(): void {
  const receipts: Receipts = { ids: [...firstSeen.keys()], receivedAt: [...firstSeen.values()], repeated: [...repeated.entries()] };
  firstSeen = new Map();
  repeated = new Map();
  send({ type: 'receipts', receipts, counters: { ...counters, connected: connectedNow() } });
}

function openWindow(): void {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  window = { cpu: process.cpuUsage(), startedAt: performance.now(), loopDelay };
  send({ type: 'window-opened' });
}

function closeWindow(): void {
  if (!window) throw new Error('close-window without open-window');
  const cpu = process.cpuUsage(window.cpu);
  const elapsed = performance.now() - window.startedAt;
  window.loopDelay.disable();
  const loopDelayP99Ms = Math.max(0, window.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
  window = null;
  send({ type: 'window', cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsed) * 100, loopDelayP99Ms });
}

async function handle(command: FleetCommand): Promise<void> {
  switch (command.type) {
    case 'connect-agents':
      return connectAgents(command.url, command.tokens);
    case 'connect-raw':
      return connectRaw(command.url, command.count);
    case 'take-receipts':
      return takeReceipts();
    case 'open-window':
      return openWindow();
    case 'close-window':
      return closeWindow();
  }
}

async function closeAllAndExit(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(progressTimer);
  for (const socket of rawSockets) socket.close();
  // stop() lets running handlers finish (they are no-ops) and closes the socket cleanly.
  await Promise.race([Promise.allSettled(clients.map((c) => c.stop('benchmark finished'))), new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
  // Give the close frames a moment to leave, so the server sees clean disconnects.
  setTimeout(() => process.exit(0), 200).unref();
}

const progressTimer = setInterval(() => send({ type: 'progress', counters: { ...counters, connected: connectedNow() } }), PROGRESS_EVERY_MS);

process.on('message', (message: unknown) => {
  if (!isTypedMessage(message)) return;
  handle(message as FleetCommand).catch((error: unknown) => send({ type: 'failed', message: errorText(error) }));
});
// The parent gone (crash, Ctrl-C) means nobody reads the results: never outlive it.
process.on('disconnect', () => void closeAllAndExit());
process.on('SIGTERM', () => void closeAllAndExit());

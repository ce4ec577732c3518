/**
 * Load generator of the heartbeat benchmark, run as its own process (forked by
 * bench/heartbeats.bench.ts) so its CPU time and heap never count as the api's.
 *
 * Opens one socket.io connection per agent token and registers each agent, which then beats once
 * per interval at its own phase (agent i at i/N of the interval), so beats arrive evenly over
 * the interval instead of in one burst per second. Round trips are measured from emit to ack.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { AckResponse, AgentClientToServerEvents, AgentServerToClientEvents, HeartbeatAck, HeartbeatPayload, RegisteredInfo } from '@swarm/contracts';
import { io, type Socket } from 'socket.io-client';
import { type BeatCounters, type ChildReport, isParentCommand, type ParentCommand, type WindowReport } from './protocol';
import { errorText, percentileOfSorted, runPool, throttled } from '../common/util';

type AgentClientSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;

const CONNECT_TIMEOUT_MS = 20_000;
const ACK_TIMEOUT_MS = 5_000;
const PROGRESS_EVERY_MS = 5_000;
/** Event-loop delay sampling interval; the histogram includes it, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;

interface Agent {
  socket: AgentClientSocket;
  timer?: NodeJS.Timeout;
}

interface MeasurementWindow {
  startedAt: number;
  cpuAtStart: NodeJS.CpuUsage;
  rtts: number[];
  sent: number;
  acked: number;
  refused: number;
  timeouts: number;
  loopDelay: ReturnType<typeof monitorEventLoopDelay>;
}

const agents: Agent[] = [];
const counters: BeatCounters = { sent: 0, acked: 0, refused: 0, timeouts: 0, disconnects: 0, lastAckAt: 0 };
let closing = false;
let inFlight = 0;
let measuring: MeasurementWindow | null = null;
let sampleError: string | null = null;
let progressTimer: NodeJS.Timeout | undefined;

function send(message: ChildReport): void {
  process.send?.(message);
}

function connectSocket(url: string, token: string): Promise<AgentClientSocket> {
  // forceNew: without it socket.io-client multiplexes every io() call for the same host onto
  // one connection, which would measure one WebSocket instead of one per agent.
  const socket: AgentClientSocket = io(`${url}/agents`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function registerSocket(socket: AgentClientSocket): Promise<void> {
  const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent.register', {})) as AckResponse<RegisteredInfo>;
  if (!ack.ok) throw new Error(`agent.register refused: ${ack.error.code} ${ack.error.message}`);
}

async function connectAll(command: Extract<ParentCommand, { type: 'connect' }>): Promise<void> {
  const { url, tokens, concurrency, intervalMs } = command;
  // The common time origin of every agent's beat phase.
  const epoch = performance.now();
  let failed = 0;
  let firstError: string | null = null;
  const progress = throttled(2_000, (done, total) => send({ type: 'connect-progress', connected: agents.length, failed, total }));
  await runPool(tokens.length, concurrency, async (index) => {
    try {
      const socket = await connectSocket(url, tokens[index]!);
      await registerSocket(socket);
      socket.on('disconnect', () => {
        if (!closing) counters.disconnects += 1;
      });
      const agent: Agent = { socket };
      agents.push(agent);
      // Beating right away, not once all are connected: an agent silent for longer than the
      // heartbeat timeout would be declared failed by the health monitor, which is not what
      // this benchmark is about.
      scheduleBeats(agent, Math.floor((index * intervalMs) / tokens.length), epoch, intervalMs);
    } catch (error) {
      failed += 1;
      firstError ??= errorText(error);
    }
    progress(agents.length + failed, tokens.length);
  });
  startProgressReports();
  send({ type: 'connected', connected: agents.length, failed, sampleError: firstError });
}

function heartbeatPayload(): HeartbeatPayload {
  // Plausible, varying numbers: the server stores them as given, so constant values would not
  // change the cost, but they keep the stored rows realistic.
  return {
    status: 'idle',
    cpu_percent: Math.round(Math.random() * 1000) / 10,
    memory_mb: 128 + Math.round(Math.random() * 512),
    queue_depth: 0,
  };
}

function onAck(started: number, inWindow: MeasurementWindow | null, error: Error | null, ack: AckResponse<HeartbeatAck> | undefined): void {
  inFlight -= 1;
  if (error || !ack) {
    counters.timeouts += 1;
    if (inWindow) inWindow.timeouts += 1;
    return;
  }
  if (!ack.ok) {
    counters.refused += 1;
    sampleError ??= `${ack.error.code}: ${ack.error.message}`;
    if (inWindow) inWindow.refused += 1;
    return;
  }
  counters.acked += 1;
  counters.lastAckAt = Date.now();
  if (inWindow) {
    inWindow.acked += 1;
    inWindow.rtts.push(performance.now() - started);
  }
}

function beat(agent: Agent): void {
  if (!agent.socket.connected) return;
  // The window a beat belongs to is decided when it is sent, so a beat sent just before the
  // window opens never counts, even if its ack arrives inside it.
  const inWindow = measuring;
  const started = performance.now();
  counters.sent += 1;
  inFlight += 1;
  if (inWindow) inWindow.sent += 1;
  agent.socket
    .timeout(ACK_TIMEOUT_MS)
    .emit('agent.heartbeat', heartbeatPayload(), (error: Error | null, ack: AckResponse<HeartbeatAck>) => onAck(started, inWindow, error, ack));
}

/** First beat at the agent's next slot (epoch + slot + k·interval), then one per interval. */
function scheduleBeats(agent: Agent, slotMs: number, epoch: number, intervalMs: number): void {
  const elapsed = performance.now() - epoch;
  const delay = (((slotMs - elapsed) % intervalMs) + intervalMs) % intervalMs;
  agent.timer = setTimeout(() => {
    beat(agent);
    agent.timer = setInterval(() => beat(agent), intervalMs);
  }, delay);
}

function startProgressReports(): void {
  const startedAt = performance.now();
  progressTimer = setInterval(() => {
    const open = agents.filter((a) => a.socket.connected).length;
    send({ type: 'beat-progress', totals: { ...counters }, open, sinceStartMs: performance.now() - startedAt });
  }, PROGRESS_EVERY_MS);
}

function openWindow(): void {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  measuring = { startedAt: performance.now(), cpuAtStart: process.cpuUsage(), rtts: [], sent: 0, acked: 0, refused: 0, timeouts: 0, loopDelay };
  send({ type: 'window-opened' });
}

async function closeWindow(): Promise<void> {
  const ended = measuring;
  if (!ended) throw new Error('close-window without open-window');
  measuring = null;
  const durationMs = performance.now() - ended.startedAt;
  const cpu = process.cpuUsage(ended.cpuAtStart);
  ended.loopDelay.disable();
  // Beats sent in the window may still be in flight; their round trips belong to it.
  await waitForInFlight(ACK_TIMEOUT_MS + 500);
  const rtts = Float64Array.from(ended.rtts).sort();
  const result: WindowReport = {
    durationMs,
    sent: ended.sent,
    acked: ended.acked,
    refused: ended.refused,
    timeouts: ended.timeouts,
    rttP50Ms: percentileOfSorted(rtts, 0.5),
    rttP99Ms: percentileOfSorted(rtts, 0.99),
    rttMaxMs: rtts.length > 0 ? rtts[rtts.length - 1]! : Number.NaN,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / durationMs) * 100,
    loopDelayP99Ms: Math.max(0, ended.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    totals: { ...counters },
    sampleError,
  };
  send({ type: 'window', report: result });
}

async function waitForInFlight(limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function stopBeats(): Promise<void> {
  for (const agent of agents) {
    clearTimeout(agent.timer);
    clearInterval(agent.timer);
  }
  clearInterval(progressTimer);
  await waitForInFlight(ACK_TIMEOUT_MS + 500);
  send({ type: 'beats-stopped', totals: { ...counters } });
}

function closeAllAndExit(code: number): void {
  closing = true;
  for (const agent of agents) agent.socket.close();
  // Give the close frames a moment to leave, so the api sees clean disconnects.
  setTimeout(() => process.exit(code), 200).unref();
}

async function handle(command: ParentCommand): Promise<void> {
  switch (command.type) {
    case 'connect':
      return connectAll(command);
    case 'open-window':
      return openWindow();
    case 'close-window':
      return closeWindow();
    case 'stop-beats':
      return stopBeats();
  }
}

process.on('message', (message: unknown) => {
  if (!isParentCommand(message)) return;
  handle(message).catch((error: unknown) => send({ type: 'failed', message: errorText(error) }));
});
// The parent gone (crash, Ctrl-C) means nobody reads the results: never outlive it.
process.on('disconnect', () => closeAllAndExit(0));
process.on('SIGTERM', () => closeAllAndExit(0));

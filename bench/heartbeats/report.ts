/** The benchmark's results, the verdict against the targets, and their printed form. */
import type { CpuBreakdown } from './cpu';
import type { BeatCounters, WindowReport } from './protocol';
import type { Quantile } from '../common/prometheus';
import { CORES } from '../common/util';

export const TARGET_HANDLING_P99_MS = 2;
export const TARGET_MEMORY_PER_AGENT_KIB = 100;

export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

export interface HandlingResult {
  /** Observations in the window, from the histogram's _count delta. */
  count: number;
  meanMs: number;
  p50: Quantile | null;
  p99: Quantile | null;
}

/** Garbage collections of one kind in the window, from prom-client's nodejs_gc_duration_seconds. */
export interface GcKindResult {
  kind: string;
  count: number;
  totalMs: number;
  /** Collections longer than 10 ms: each one delays every heartbeat waiting behind it. */
  over10ms: number;
}

export interface PersistenceResult {
  /** Age of the newest stored heartbeat, sampled during the window: how far Postgres trails. */
  newestRowAgeMedianMs: number;
  newestRowAgeMaxMs: number;
  /** Beats acked but not yet in Postgres when the window closed. */
  backlogAtWindowEnd: number;
  ackedTotal: number;
  rowsAtEnd: number;
  /** From the last ack until every acked beat was in Postgres; null if it never caught up. */
  drainMs: number | null;
}

export interface RunResult {
  agents: number;
  connected: number;
  connectFailures: number;
  warmupSeconds: number;
  windowSeconds: number;
  /** The worker's WORKER_ROLES, 'all' by default. */
  workerRoles: string;
  apiNodeArgs: string[];
  connectedGauge: number;
  /** From the last agent connected until the health monitor had activated all; null if it never did. */
  activationMs: number | null;
  refusedByRateLimit: number;
  load: WindowReport;
  handling: HandlingResult;
  memoryBefore: MemoryReading;
  memoryAfter: MemoryReading;
  memorySamples: { before: number; after: number };
  /** Lowest heap reading of each series: the closest to a just-collected heap, a cross-check of the medians. */
  heapUsedMinBytes: { before: number; after: number };
  /** From the api's own process_cpu_seconds_total, 100 % = one core. */
  apiCpuPercent: number;
  /** Every process on the machine during the window, grouped; null without /proc. */
  cpu: CpuBreakdown | null;
  apiLoopDelayP99MaxMs: number;
  apiGc: GcKindResult[];
  persistence: PersistenceResult;
  finalCounters: BeatCounters;
}

export interface Verdict {
  handlingPass: boolean;
  memoryPass: boolean;
  pass: boolean;
}

const KIB = 1024;
const MIB = 1024 * 1024;

export function perAgentKiB(result: RunResult, pick: (m: MemoryReading) => number): number {
  return (pick(result.memoryAfter) - pick(result.memoryBefore)) / Math.max(1, result.connected) / KIB;
}

function heapMinPerAgentKiB(result: RunResult): number {
  return (result.heapUsedMinBytes.after - result.heapUsedMinBytes.before) / Math.max(1, result.connected) / KIB;
}

export function verdict(result: RunResult): Verdict {
  const p99 = result.handling.p99;
  // A p99 in the overflow bucket, or no observation at all, cannot pass.
  const handlingPass = p99 !== null && !p99.overflow && p99.value * 1000 < TARGET_HANDLING_P99_MS;
  const memoryPass = perAgentKiB(result, (m) => m.rssBytes) < TARGET_MEMORY_PER_AGENT_KIB;
  // Missing agents or failed beats would make both numbers look better than they are.
  const complete = result.connected === result.agents && result.load.refused === 0 && result.load.timeouts === 0;
  return { handlingPass, memoryPass, pass: handlingPass && memoryPass && complete };
}

const ms = (value: number, digits = 2): string => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
const kib = (value: number): string => `${value.toFixed(1)} KiB`;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const pct = (value: number | null): string => (value === null || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(0)} %`);
const passFail = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');

function quantileText(quantile: Quantile | null): string {
  if (quantile === null) return 'no observations';
  const text = ms(quantile.value * 1000, 3);
  return quantile.overflow ? `> ${text}` : text;
}

function gcText(kinds: readonly GcKindResult[]): string {
  const active = kinds.filter((k) => k.count > 0);
  if (active.length === 0) return 'none recorded';
  return active.map((k) => `${k.kind} ${k.count} (${k.totalMs.toFixed(0)} ms, ${k.over10ms})`).join(', ');
}

type Row = [string, string, string?, string?];

function heartbeatRows(r: RunResult, v: Verdict): Row[] {
  const l = r.load;
  return [
    ['agents connected (api gauge)', `${r.connected} / ${r.agents} (${r.connectedGauge})`],
    ['all agents active (out of pending) after', r.activationMs === null ? 'not within the time limit' : `${(r.activationMs / 1000).toFixed(1)} s`],
    ['beats acked in window', `${int(l.acked)} (${(l.acked / (l.durationMs / 1000)).toFixed(0)}/s)`],
    ['ok:false / timeouts / disconnects / rate-limited', `${l.refused} / ${l.timeouts} / ${r.finalCounters.disconnects} / ${r.refusedByRateLimit}`],
    ['gateway handling p50 (histogram)', quantileText(r.handling.p50)],
    ['gateway handling p99 (histogram)', quantileText(r.handling.p99), `< ${TARGET_HANDLING_P99_MS} ms`, passFail(v.handlingPass)],
    ['gateway handling mean (sum/count)', `${ms(r.handling.meanMs, 3)} over ${int(r.handling.count)} beats`],
    ['ack round trip p50 / p99 / max (client)', `${ms(l.rttP50Ms)} / ${ms(l.rttP99Ms)} / ${ms(l.rttMaxMs, 1)}`],
  ];
}

function memoryRows(r: RunResult, v: Verdict): Row[] {
  const { memoryBefore: b, memoryAfter: a } = r;
  return [
    ['api RSS per agent', kib(perAgentKiB(r, (m) => m.rssBytes)), `< ${TARGET_MEMORY_PER_AGENT_KIB} KiB`, passFail(v.memoryPass)],
    ['api heap used per agent (medians / minima)', `${kib(perAgentKiB(r, (m) => m.heapUsedBytes))} / ${kib(heapMinPerAgentKiB(r))}`],
    ['api external memory per agent', kib(perAgentKiB(r, (m) => m.externalBytes))],
    ['api RSS before → after (medians)', `${mib(b.rssBytes)} → ${mib(a.rssBytes)}`],
    ['api heap used before → after (medians)', `${mib(b.heapUsedBytes)} → ${mib(a.heapUsedBytes)}`],
    ['memory samples before / after', `${r.memorySamples.before} / ${r.memorySamples.after}`],
  ];
}

function resourceRows(r: RunResult): Row[] {
  return [
    ['api CPU in window (one core = 100 %)', pct(r.apiCpuPercent)],
    ['api event-loop delay p99, worst scrape', ms(r.apiLoopDelayP99MaxMs, 1)],
    ['api GC in window: count (time, > 10 ms)', gcText(r.apiGc)],
    ['CPU: worker / load generator / Postgres+Redis', r.cpu ? `${pct(r.cpu.worker)} / ${pct(r.cpu.loadGenerator)} / ${pct(r.cpu.postgresAndRedis)}` : 'n/a'],
    ['CPU: processes outside the run / benchmark parent', r.cpu ? `${pct(r.cpu.other)} / ${pct(r.cpu.benchmark)}` : 'n/a'],
    [`CPU: whole machine busy (${CORES} cores = ${CORES * 100} %)`, r.cpu ? pct(r.cpu.machine) : 'n/a'],
    ['load generator event-loop delay p99', ms(r.load.loopDelayP99Ms, 1)],
  ];
}

function persistenceRows(r: RunResult): Row[] {
  const p = r.persistence;
  return [
    ['heartbeat rows in Postgres / beats acked', `${int(p.rowsAtEnd)} / ${int(p.ackedTotal)} (${p.rowsAtEnd >= p.ackedTotal ? 'all stored' : `${int(p.ackedTotal - p.rowsAtEnd)} missing`})`],
    ['newest row age in window, median / max', `${ms(p.newestRowAgeMedianMs, 0)} / ${ms(p.newestRowAgeMaxMs, 0)}`],
    ['acked but not stored at window end', int(p.backlogAtWindowEnd)],
    ['drain after the last ack', p.drainMs === null ? 'did not catch up' : ms(p.drainMs, 0)],
  ];
}

function table(rows: readonly Row[]): string {
  const header: Row = ['measure', 'value', 'target', 'result'];
  const cells = [header, ...rows].map((row) => [row[0], row[1], row[2] ?? '', row[3] ?? '']);
  const widths = header.map((_, col) => Math.max(...cells.map((row) => row[col]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(cells[0]!), separator, ...cells.slice(1).map(line)].join('\n');
}

export function formatReport(r: RunResult): string {
  const v = verdict(r);
  const rows = [...heartbeatRows(r, v), ...memoryRows(r, v), ...resourceRows(r), ...persistenceRows(r)];
  const title = `Heartbeats: ${r.agents} agents, 1 beat/s each, warm-up ${r.warmupSeconds} s, measured ${r.windowSeconds} s, worker roles: ${r.workerRoles}${r.apiNodeArgs.length > 0 ? `, api node flags: ${r.apiNodeArgs.join(' ')}` : ''}`;
  const notes = [
    'Handling quantiles: bucket deltas of swarm_heartbeat_handling_seconds between the window\'s first and last scrape, linearly interpolated inside a bucket (as histogram_quantile does).',
    'Memory per agent: (median of samples while beating − median of samples before connecting) / connected agents; heap minima use the lowest reading of each series instead (closest to a just-collected heap).',
  ];
  const incomplete = r.connected !== r.agents || r.load.refused > 0 || r.load.timeouts > 0;
  const overall = `RESULT: ${passFail(v.pass)} — handling p99 ${passFail(v.handlingPass)}, memory per agent ${passFail(v.memoryPass)}${incomplete ? ' (run incomplete: missing agents or failed beats)' : ''}`;
  return [title, '', table(rows), '', ...notes, '', overall].join('\n');
}

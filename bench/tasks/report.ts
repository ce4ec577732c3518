/** The task benchmark's results, the verdict against the targets, and their printed form. */
import type { CpuShares } from '../common/cpu';
import { CORES } from '../common/util';
import type { BaselineCpuGroup, BaselineResult } from './baseline';
import type { Distribution, Verification } from './readings';

export const TARGET_THROUGHPUT_RATIO = 1.0;
export const TARGET_ASSIGN_P50_MS = 5;
export const TARGET_ASSIGN_P99_MS = 50;
/** The paced phase counts only if the engine kept up with at least this share of the offered load. */
export const MIN_SUSTAINED_SHARE = 0.95;
/** CPU of processes outside the run (core-%) above which a phase's numbers are flagged as disturbed. */
export const NOISY_OTHER_PERCENT = 20;

export type EngineCpuGroup = 'api' | 'worker' | 'fleet' | 'benchmark';

export interface PhaseResult {
  name: 'warm-up' | 'throughput' | 'latency';
  taskType: string;
  submitted: number;
  completed: number;
  /** All tasks final before the stall limit. */
  finished: boolean;
  /** completed / (first submit → last completed_at). */
  tasksPerSecond: number;
  wallMs: number;
  submitMs: number;
  requests: number;
  /** Round trip of one submit request (POST of a batch). */
  requestMs: Distribution;
  /** Paced phase: the offered load and how far the submit schedule slipped. */
  offeredRate: number | null;
  maxSubmitLagMs: number;
  /** queued_at (Postgres) → the agent's handler got it. */
  assignment: Distribution;
  /** queued_at → assigned_at, both Postgres: the dispatcher's share of the assignment latency. */
  dispatch: Distribution;
  /** created_at → completed_at (Postgres). */
  endToEnd: Distribution;
  /** The agent got it → completed_at: the no-op handler answers at once, so this is the report path (ack, result → stream → Postgres). */
  reporting: Distribution;
  /** The completed attempt's assigned_at → finished_at: how long a no-op task holds an agent's slot. */
  slotHold: Distribution;
  /** Receipts earlier than queued_at by more than 1 ms: a retry re-queued the task, or clocks disagree. */
  negativeAssignments: number;
  cpu: CpuShares<EngineCpuGroup> | null;
  fleetLoopDelayP99Ms: number;
  /** Per process (main thread), ms per second spent runnable but waiting for a CPU. */
  runnableWaitMsPerSecond: Record<string, number>;
  /** Deltas of the api's and worker's swarm_task* metrics over the phase (name prefixed api: or worker:). */
  metrics: Record<string, number>;
  verification: Verification;
}

export interface RunResult {
  agents: number;
  maxConcurrency: number;
  algorithm: string;
  batch: number;
  submitConcurrency: number;
  tickMs: number;
  phases: PhaseResult[];
  baseline: BaselineResult | null;
  /** ours / baseline tasks/s (throughput phase); null without a baseline. */
  throughputRatio: number | null;
  sdkNotCompleted: Record<string, number>;
  fleetDisconnects: number;
}

export interface Verdict {
  throughputPass: boolean | null;
  latencyP50Pass: boolean;
  latencyP99Pass: boolean;
  /** The paced phase kept up with the offered load. */
  sustained: boolean;
  exactlyOnce: boolean;
  pass: boolean;
}

export function phase(result: RunResult, name: PhaseResult['name']): PhaseResult | undefined {
  return result.phases.find((p) => p.name === name);
}

export function verdict(r: RunResult): Verdict {
  const latency = phase(r, 'latency');
  const throughputPass = r.throughputRatio === null ? null : r.throughputRatio >= TARGET_THROUGHPUT_RATIO;
  const latencyP50Pass = !!latency && latency.assignment.count > 0 && latency.assignment.p50 < TARGET_ASSIGN_P50_MS;
  const latencyP99Pass = !!latency && latency.assignment.count > 0 && latency.assignment.p99 < TARGET_ASSIGN_P99_MS;
  const sustained = !!latency && latency.offeredRate !== null && latency.finished && latency.tasksPerSecond >= latency.offeredRate * MIN_SUSTAINED_SHARE;
  const exactlyOnce = r.phases.every((p) => p.verification.pass) && (r.baseline === null || (r.baseline.finished && r.baseline.completed === r.baseline.tasks));
  return { throughputPass, latencyP50Pass, latencyP99Pass, sustained, exactlyOnce, pass: throughputPass !== false && latencyP50Pass && latencyP99Pass && sustained && exactlyOnce };
}

const ms = (value: number, digits = 1): string => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
const int = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const pct = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(0)} %`);
const passFail = (pass: boolean | null): string => (pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL');
const dist = (d: Distribution): string => (d.count === 0 ? 'no samples' : `${ms(d.p50)} / ${ms(d.p99)} / ${ms(d.max, 0)}`);

type Row = [string, string, string?, string?];

function table(rows: readonly Row[]): string {
  const header: Row = ['measure', 'value', 'target', 'result'];
  const cells = [header, ...rows].map((row) => [row[0], row[1], row[2] ?? '', row[3] ?? '']);
  const widths = header.map((_, col) => Math.max(...cells.map((row) => row[col]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(cells[0]!), separator, ...cells.slice(1).map(line)].join('\n');
}

function cpuText(cpu: Record<string, number> | null, groups: readonly string[]): string {
  if (!cpu) return 'n/a';
  return `${groups.map((g) => `${g} ${pct(cpu[g])}`).join(', ')}; other ${pct(cpu.other)}; machine ${pct(cpu.machine)} of ${CORES * 100} %`;
}

function verificationText(v: Verification): string {
  if (v.pass) return `all ${int(v.submitted)} completed exactly once${v.retried > 0 ? ` (${v.retried} needed a retry)` : ''}`;
  const problems: string[] = [];
  if (v.missing > 0) problems.push(`${v.missing} missing`);
  for (const [status, n] of Object.entries(v.notCompleted)) problems.push(`${n} ${status}`);
  if (v.noCompletedAttempt > 0) problems.push(`${v.noCompletedAttempt} completed without a completed attempt`);
  if (v.moreThanOneCompletedAttempt > 0) problems.push(`${v.moreThanOneCompletedAttempt} with >1 completed attempt`);
  if (v.completedWithoutReceipt > 0) problems.push(`${v.completedWithoutReceipt} completed but never run by an agent`);
  if (v.duplicateIds > 0) problems.push(`${v.duplicateIds} duplicate ids from the API`);
  return `VIOLATED: ${problems.join(', ')}`;
}

function phaseRows(p: PhaseResult, v: Verdict, ratio: number | null, slots: number): Row[] {
  const rows: Row[] = [
    [`[${p.name}] tasks completed / submitted`, `${int(p.completed)} / ${int(p.submitted)}${p.finished ? '' : ' (stalled)'}`],
    [
      `[${p.name}] tasks/s (first submit → last completion)`,
      `${int(p.tasksPerSecond)} over ${(p.wallMs / 1000).toFixed(2)} s`,
      p.name === 'latency' && p.offeredRate !== null ? `≥ ${int(p.offeredRate * MIN_SUSTAINED_SHARE)} (offered ${int(p.offeredRate)})` : '',
      p.name === 'latency' ? passFail(v.sustained) : '',
    ],
  ];
  if (p.name === 'throughput' && ratio !== null) rows.push([`[${p.name}] vs baseline`, `${ratio.toFixed(2)}×`, `≥ ${TARGET_THROUGHPUT_RATIO.toFixed(1)}×`, passFail(v.throughputPass)]);
  rows.push([
    `[${p.name}] submit: requests, time, request p50 / p99 / max${p.offeredRate !== null ? ', worst schedule slip' : ''}`,
    `${int(p.requests)} in ${(p.submitMs / 1000).toFixed(2)} s, ${dist(p.requestMs)}${p.offeredRate !== null ? `, ${ms(p.maxSubmitLagMs)}` : ''}`,
  ]);
  if (p.name === 'latency') {
    rows.push([`[${p.name}] assignment p50 (queued_at → agent)`, ms(p.assignment.p50), `< ${TARGET_ASSIGN_P50_MS} ms`, passFail(v.latencyP50Pass)]);
    rows.push([`[${p.name}] assignment p99`, ms(p.assignment.p99), `< ${TARGET_ASSIGN_P99_MS} ms`, passFail(v.latencyP99Pass)]);
    rows.push([`[${p.name}] assignment max`, ms(p.assignment.max, 0)]);
  } else {
    rows.push([`[${p.name}] assignment p50 / p99 / max (queued_at → agent)`, dist(p.assignment)]);
  }
  rows.push([`[${p.name}] dispatch p50 / p99 / max (queued_at → assigned_at)`, dist(p.dispatch)]);
  const stages = stageMeans(p);
  if (stages) rows.push([`[${p.name}] queued → assigned by stage, mean (service metrics)`, stages]);
  rows.push([`[${p.name}] end-to-end p50 / p99 / max (created_at → completed_at)`, dist(p.endToEnd)]);
  rows.push([`[${p.name}] result recorded p50 / p99 / max (agent → completed_at)`, dist(p.reporting)]);
  const bound = p.slotHold.count > 0 && p.slotHold.p50 > 0 ? `; ${slots} slots / p50 → ≤ ${int((slots * 1000) / p.slotHold.p50)} tasks/s` : '';
  rows.push([`[${p.name}] slot held p50 / p99 / max (attempt assigned → finished)`, `${dist(p.slotHold)}${bound}`]);
  rows.push([`[${p.name}] CPU (100 % = one core)`, cpuText(p.cpu, ['api', 'worker', 'fleet', 'benchmark', 'postgres', 'redis'])]);
  const waits = Object.entries(p.runnableWaitMsPerSecond);
  if (waits.length > 0) {
    rows.push([`[${p.name}] main thread runnable but waiting for a CPU (schedstat)`, waits.map(([name, value]) => `${name} ${int(value)} ms/s`).join(', ')]);
  }
  rows.push([`[${p.name}] fleet event-loop delay p99`, ms(p.fleetLoopDelayP99Ms)]);
  rows.push([`[${p.name}] exactly once (Postgres)`, verificationText(p.verification), 'all, once', passFail(p.verification.pass)]);
  if (p.verification.repeatedRuns > 0 || p.negativeAssignments > 0) {
    rows.push([`[${p.name}] handler re-runs / receipts before queued_at`, `${p.verification.repeatedRuns} / ${p.negativeAssignments}`]);
  }
  return rows;
}

function baselineRows(b: BaselineResult): Row[] {
  return [
    ['[baseline] tasks completed', `${int(b.completed)} / ${int(b.tasks)}${b.finished ? '' : ' (stalled)'}${b.failedJobs > 0 ? `, ${b.failedJobs} jobs failed: ${b.sampleError}` : ''}`],
    ['[baseline] tasks/s (first addBulk → last completion)', `${int(b.tasksPerSecond)} over ${(b.wallMs / 1000).toFixed(2)} s`],
    ['[baseline] setup', `${b.clients} clients, worker concurrency ${b.workerConcurrency}, pg pool ${b.poolSize}; submit ${(b.submitMs / 1000).toFixed(2)} s`],
    ['[baseline] CPU (100 % = one core)', cpuText(b.cpu as Record<BaselineCpuGroup | 'postgres' | 'redis' | 'other' | 'machine', number> | null, ['server', 'fleet', 'benchmark', 'postgres', 'redis'])],
  ];
}

/** Warnings for phases during which processes outside the run (builds, tests) took CPU. */
function noiseLines(r: RunResult): string[] {
  const noisy: string[] = [];
  for (const p of r.phases) if (p.cpu && p.cpu.other > NOISY_OTHER_PERCENT) noisy.push(`${p.name} ${pct(p.cpu.other)}`);
  if (r.baseline?.cpu && r.baseline.cpu.other > NOISY_OTHER_PERCENT) noisy.push(`baseline ${pct(r.baseline.cpu.other)}`);
  return noisy.length === 0 ? [] : [`WARNING: processes outside the run used CPU (${noisy.join(', ')} of one core): the machine was busy with something else; these numbers understate both sides.`];
}

export function baselineNoiseLines(b: BaselineResult): string[] {
  return b.cpu && b.cpu.other > NOISY_OTHER_PERCENT ? [`WARNING: processes outside the run used ${pct(b.cpu.other)} of one core during the baseline.`] : [];
}

/**
 * The api's and the worker's stage histograms over the phase, in path order: insert and enqueue
 * per submit request; pickup (queued_at → start of the claiming cycle, so it contains insert and
 * enqueue) per task; the claiming cycles' snapshot, plan, claim and commit. Pickup plus the four
 * cycle stages roughly add up to the mean dispatch latency (queued_at → assigned_at).
 */
function stageMeans(p: PhaseResult): string | null {
  const submit = 'api:swarm_task_submit_stage_seconds';
  const dispatch = 'worker:swarm_task_dispatch_stage_seconds';
  const stages: Array<[string, string]> = [
    [submit, 'insert'],
    [submit, 'enqueue'],
    ...(['pickup', 'snapshot', 'plan', 'claim', 'commit'] as const).map((stage): [string, string] => [dispatch, stage]),
  ];
  const parts: string[] = [];
  for (const [histogram, stage] of stages) {
    const count = p.metrics[`${histogram}_count{stage=${stage}}`];
    if (!count) continue;
    parts.push(`${stage} ${ms(((p.metrics[`${histogram}_sum{stage=${stage}}`] ?? 0) / count) * 1000)}`);
  }
  return parts.length === 0 ? null : parts.join(', ');
}

/** Counters as deltas; a histogram's _sum/_count pair as its mean (ms for *_seconds) and count. */
function metricLines(p: PhaseResult): string[] {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(p.metrics)) {
    if (value === 0 || /_count(\{|$)/.test(name)) continue;
    const sumAt = name.search(/_sum(\{|$)/);
    if (sumAt >= 0) {
      const count = p.metrics[`${name.slice(0, sumAt)}_count${name.slice(sumAt + 4)}`];
      if (count) {
        const seconds = name.slice(0, sumAt).endsWith('_seconds');
        parts.push(`${name.slice(0, sumAt)}${name.slice(sumAt + 4)} mean ${seconds ? ms((value / count) * 1000) : (value / count).toFixed(2)} (n ${int(count)})`);
        continue;
      }
    }
    parts.push(`${name} ${Number.isInteger(value) ? int(value) : value.toFixed(3)}`);
  }
  return parts.length === 0 ? [] : [`Metrics over [${p.name}]:`, ...parts.map((part) => `  ${part}`)];
}

export function formatReport(r: RunResult): string {
  const v = verdict(r);
  const rows: Row[] = [];
  for (const p of r.phases) if (p.name !== 'warm-up') rows.push(...phaseRows(p, v, r.throughputRatio, r.agents * r.maxConcurrency));
  if (r.baseline) rows.push(...baselineRows(r.baseline));
  const warm = phase(r, 'warm-up');
  const title = `Tasks: ${r.agents} agents × max_concurrency ${r.maxConcurrency}, ${r.algorithm}, batches of ${r.batch} (${r.submitConcurrency} in flight), paced ticks ${r.tickMs} ms`;
  const notes = [
    warm ? `Warm-up: ${warm.submitted} tasks, ${verificationText(warm.verification)} (not in the numbers).` : 'No warm-up.',
    'Assignment latency: queued_at (Postgres, ms precision) → Date.now() in the agent process when the SDK started the attempt (same clock).',
    'Dispatch: queued_at → assigned_at, both written by the engine. End-to-end: created_at → completed_at.',
    "Result recorded: the agent's receipt → completed_at (the handler returns at once, so this is the report path). Slot held: the completed attempt's assigned_at → finished_at; throughput cannot exceed agents × max_concurrency / slot time.",
    'Exactly once: tasks and task_attempts read directly from Postgres for every submitted id.',
    "CPU: from /proc between a phase's first submit and its last completion; postgres = backends of the run's database plus the server's background processes (WAL writer...); other = everything else on the machine.",
    ...(Object.keys(r.sdkNotCompleted).length > 0 ? [`SDK outcomes other than completed: ${JSON.stringify(r.sdkNotCompleted)}`] : []),
    ...(r.fleetDisconnects > 0 ? [`Agent disconnects during the run: ${r.fleetDisconnects}`] : []),
    ...r.phases.flatMap(metricLines),
  ];
  const violations = r.phases.filter((p) => !p.verification.pass);
  const loud = violations.length === 0 ? [] : [
    '',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '!!! EXACTLY-ONCE VIOLATED',
    ...violations.flatMap((p) => [`!!! [${p.name}] ${verificationText(p.verification)}`, ...Object.entries(p.verification.samples).map(([kind, ids]) => `!!!     ${kind}: ${ids.join(', ')}`)]),
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  ];
  const overall = `RESULT: ${passFail(v.pass)} — throughput vs baseline ${passFail(v.throughputPass)}, assignment p50 ${passFail(v.latencyP50Pass)}, p99 ${passFail(v.latencyP99Pass)}, offered load sustained ${passFail(v.sustained)}, exactly once ${passFail(v.exactlyOnce)}`;
  return [title, '', table(rows), '', ...notes, ...noiseLines(r), ...loud, '', overall].join('\n');
}

/** Only the baseline (--baseline-only): its own small report. */
export function formatBaselineOnly(b: BaselineResult): string {
  return ['Tasks baseline only (BullMQ → socket.io ack → one UPDATE)', '', table(baselineRows(b)), ...baselineNoiseLines(b)].join('\n');
}

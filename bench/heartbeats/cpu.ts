/**
 * Who used the CPU during the measurement window, from /proc (Linux). Every process of the
 * run shares the same cores with Postgres, Redis and whatever else the machine runs, so the
 * api's latency only makes sense next to this breakdown. Elsewhere the numbers are null.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: clock ticks per second in /proc, 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

interface ProcessCpu {
  name: string;
  seconds: number;
}

export interface CpuSnapshot {
  processes: Map<number, ProcessCpu>;
  /** Busy core-seconds of the whole machine (all but idle and iowait). */
  machineBusySeconds: number;
}

/** Core-% (100 = one core fully busy) per group, over the window. */
export interface CpuBreakdown {
  api: number;
  worker: number;
  loadGenerator: number;
  benchmark: number;
  postgresAndRedis: number;
  /** Processes that are not part of the run: other users' builds or tests skew results. */
  other: number;
  machine: number;
}

export interface RunPids {
  api?: number;
  worker?: number;
  loadGenerator?: number;
  benchmark: number;
}

function readProcess(pid: number): ProcessCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; the fields after it are fixed.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null; // exited between listing and reading
  }
}

function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) / TICKS_PER_SECOND;
}

export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const processes = new Map<number, ProcessCpu>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cpu = readProcess(Number(entry));
      if (cpu) processes.set(Number(entry), cpu);
    }
    return { processes, machineBusySeconds: machineBusySeconds() };
  } catch {
    return null;
  }
}

type Group = keyof Omit<CpuBreakdown, 'machine'>;

function groupOf(pid: number, name: string, pids: RunPids): Group {
  if (pid === pids.api) return 'api';
  if (pid === pids.worker) return 'worker';
  if (pid === pids.loadGenerator) return 'loadGenerator';
  if (pid === pids.benchmark) return 'benchmark';
  return name === 'postgres' || name.startsWith('redis-server') ? 'postgresAndRedis' : 'other';
}

/**
 * Processes started during the window count from zero; those that ended during it are missed,
 * so "other" is a lower bound.
 */
export function cpuBreakdown(start: CpuSnapshot | null, end: CpuSnapshot | null, pids: RunPids, windowMs: number): CpuBreakdown | null {
  if (!start || !end) return null;
  const seconds: Record<Group, number> = { api: 0, worker: 0, loadGenerator: 0, benchmark: 0, postgresAndRedis: 0, other: 0 };
  for (const [pid, cpu] of end.processes) {
    const before = start.processes.get(pid);
    const used = before && before.name === cpu.name ? cpu.seconds - before.seconds : cpu.seconds;
    seconds[groupOf(pid, cpu.name, pids)] += Math.max(0, used);
  }
  const percent = (value: number): number => (value * 100_000) / windowMs;
  return {
    api: percent(seconds.api),
    worker: percent(seconds.worker),
    loadGenerator: percent(seconds.loadGenerator),
    benchmark: percent(seconds.benchmark),
    postgresAndRedis: percent(seconds.postgresAndRedis),
    other: percent(seconds.other),
    machine: percent(end.machineBusySeconds - start.machineBusySeconds),
  };
}

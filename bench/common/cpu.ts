/**
 * Who used the CPU during a measurement window, from /proc (Linux). Every process of a run
 * shares the same cores with Postgres, Redis and whatever else the machine runs, so a
 * service's numbers only make sense next to this breakdown. Elsewhere the readings are null.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: clock ticks per second in /proc, 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

interface ProcessCpu {
  name: string;
  seconds: number;
  /** For a Postgres client backend: the database it serves (from its process title). */
  database?: string;
}

export interface CpuSnapshot {
  processes: Map<number, ProcessCpu>;
  /** Busy core-seconds of the whole machine (all but idle and iowait). */
  machineBusySeconds: number;
  /** When it was taken (ms since the epoch), so a window can be measured between two snapshots. */
  takenAt: number;
}

/** Groups every run has besides its own named processes. */
export type CommonCpuGroup = 'postgres' | 'redis' | 'other' | 'machine';

/**
 * Core-% (100 = one core fully busy) per group over the window. `other` is every process that
 * is not part of the run (other users' builds or tests skew results); `machine` the whole box.
 */
export type CpuShares<G extends string> = Record<G | CommonCpuGroup, number>;

function readProcess(pid: number): ProcessCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; the fields after it are fixed.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu: ProcessCpu = { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
    if (name === 'postgres') {
      const database = backendDatabase(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      if (database) cpu.database = database;
    }
    return cpu;
  } catch {
    return null; // exited between listing and reading
  }
}

/**
 * A client backend's title is "postgres: [cluster: ]user database host(port) activity"; the
 * word before the client address is the database. Background processes have no client.
 */
function backendDatabase(cmdline: string): string | undefined {
  return /\s(\S+)\s(?:[0-9A-Fa-f.:]+\(\d+\)|\[local\])/.exec(cmdline.replace(/\0/g, ' '))?.[1];
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
    return { processes, machineBusySeconds: machineBusySeconds(), takenAt: Date.now() };
  } catch {
    return null;
  }
}

function builtInGroup(cpu: ProcessCpu, postgresDatabase: string | undefined): CommonCpuGroup {
  if (cpu.name === 'postgres') return postgresDatabase && cpu.database && cpu.database !== postgresDatabase ? 'other' : 'postgres';
  return cpu.name.startsWith('redis-server') ? 'redis' : 'other';
}

/**
 * CPU per group between two snapshots; `pids` names the run's own processes (a group may be
 * given several). Processes started during the window count from zero; those that ended
 * during it are missed, so `other` is a lower bound. windowMs defaults to the time between
 * the snapshots.
 */
export function cpuShares<G extends string>(
  start: CpuSnapshot | null,
  end: CpuSnapshot | null,
  pids: Record<G, number | readonly number[] | undefined>,
  windowMs?: number,
  /** When given, Postgres backends serving other databases count as `other`, not `postgres`. */
  postgresDatabase?: string,
): CpuShares<G> | null {
  if (!start || !end) return null;
  const groupOfPid = new Map<number, G>();
  for (const group of Object.keys(pids) as G[]) {
    const value: number | readonly number[] | undefined = pids[group];
    const list: readonly number[] = value === undefined ? [] : typeof value === 'number' ? [value] : value;
    for (const pid of list) groupOfPid.set(pid, group);
  }
  const seconds = new Map<string, number>();
  for (const group of [...(Object.keys(pids) as G[]), 'postgres', 'redis', 'other']) seconds.set(group, 0);
  for (const [pid, cpu] of end.processes) {
    const before = start.processes.get(pid);
    const used = before && before.name === cpu.name ? cpu.seconds - before.seconds : cpu.seconds;
    const group = groupOfPid.get(pid) ?? builtInGroup(cpu, postgresDatabase);
    seconds.set(group, seconds.get(group)! + Math.max(0, used));
  }
  const window = windowMs ?? Math.max(1, end.takenAt - start.takenAt);
  const percent = (value: number): number => (value * 100_000) / window;
  const shares: Record<string, number> = { machine: percent(end.machineBusySeconds - start.machineBusySeconds) };
  for (const [group, value] of seconds) shares[group] = percent(value);
  return shares as CpuShares<G>;
}

/**
 * Nanoseconds a process's main thread (a Node event loop) has spent on a CPU and waiting for
 * one while runnable, from /proc/<pid>/schedstat. The waiting part is what a busy machine adds
 * to every hop a message makes through that process. Null where schedstat is not available.
 */
export interface SchedulerReading {
  onCpuNs: number;
  runnableWaitNs: number;
}

export function schedulerReading(pid: number | undefined): SchedulerReading | null {
  if (pid === undefined) return null;
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(onCpu) && Number.isFinite(waiting) ? { onCpuNs: onCpu!, runnableWaitNs: waiting! } : null;
  } catch {
    return null;
  }
}

/** Milliseconds per second of the window spent waiting for a CPU while runnable. */
export function runnableWaitMsPerSecond(start: SchedulerReading | null, end: SchedulerReading | null, windowMs: number): number | null {
  if (!start || !end || windowMs <= 0) return null;
  return (end.runnableWaitNs - start.runnableWaitNs) / 1e6 / (windowMs / 1000);
}

/**
 * Measures this process's own resource use for heartbeats.
 *
 * cpu_percent is CPU time (user + system, all threads) consumed since the previous sample,
 * divided by the wall-clock time between the two samples, as a percentage of ONE core: 100
 * means one core fully busy, and a process using several cores (worker threads, libuv pool,
 * GC threads) can report more than 100.
 *
 * memory_mb is the resident set size (process.memoryUsage().rss) in MiB: what the operating
 * system actually holds for the process, heap and native memory included.
 */
export interface ResourceSample {
  cpu_percent: number;
  memory_mb: number;
}

/** Where the numbers come from; injectable so tests can drive exact values. */
export interface ResourceProbes {
  /** Monotonic clock in milliseconds (immune to wall-clock jumps). */
  nowMs(): number;
  /** Cumulative CPU time in microseconds. */
  cpuUsage(): { user: number; system: number };
  /** Resident set size in bytes. */
  rssBytes(): number;
}

export const processProbes: ResourceProbes = {
  nowMs: () => performance.now(),
  cpuUsage: () => process.cpuUsage(),
  rssBytes: () => process.memoryUsage.rss(),
};

const BYTES_PER_MIB = 1024 * 1024;

const roundTo = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

export class ResourceSampler {
  private lastAtMs: number;
  private lastCpuMicros: number;

  /** The first sample covers the time since construction. */
  constructor(private readonly probes: ResourceProbes = processProbes) {
    this.lastAtMs = probes.nowMs();
    this.lastCpuMicros = ResourceSampler.totalCpuMicros(probes);
  }

  sample(): ResourceSample {
    const atMs = this.probes.nowMs();
    const cpuMicros = ResourceSampler.totalCpuMicros(this.probes);
    const elapsedMicros = (atMs - this.lastAtMs) * 1000;
    const usedMicros = cpuMicros - this.lastCpuMicros;
    this.lastAtMs = atMs;
    this.lastCpuMicros = cpuMicros;
    // Two samples in the same instant carry no information; report idle rather than divide by 0.
    const cpuPercent = elapsedMicros > 0 ? Math.max(0, (usedMicros / elapsedMicros) * 100) : 0;
    return {
      cpu_percent: roundTo(cpuPercent, 1),
      memory_mb: roundTo(this.probes.rssBytes() / BYTES_PER_MIB, 1),
    };
  }

  private static totalCpuMicros(probes: ResourceProbes): number {
    const usage = probes.cpuUsage();
    return usage.user + usage.system;
  }
}

/**
 * The heartbeat benchmark's CPU breakdown (bench/common/cpu.ts does the reading): its own
 * processes, Postgres and Redis together, and everything else.
 */
import { cpuShares, type CpuSnapshot } from '../common/cpu';

export { cpuSnapshot, type CpuSnapshot } from '../common/cpu';

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

export function cpuBreakdown(start: CpuSnapshot | null, end: CpuSnapshot | null, pids: RunPids, windowMs: number): CpuBreakdown | null {
  const shares = cpuShares(start, end, { api: pids.api, worker: pids.worker, loadGenerator: pids.loadGenerator, benchmark: pids.benchmark }, windowMs);
  if (!shares) return null;
  return {
    api: shares.api,
    worker: shares.worker,
    loadGenerator: shares.loadGenerator,
    benchmark: shares.benchmark,
    postgresAndRedis: shares.postgres + shares.redis,
    other: shares.other,
    machine: shares.machine,
  };
}

/**
 * Child processes of the start script: spawning with prefixed output, stopping with a deadline,
 * and recognising processes left behind by an earlier run that crashed.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { dim, errorText, info, warn } from './log';

/** Error codes meaning "nothing answers there", as opposed to a server that refused us. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when a process with this pid exists (even one we may not signal). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process, or undefined when it cannot be read. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    const out = ps.status === 0 ? ps.stdout.trim() : '';
    return out || undefined;
  }
}

/** True when something accepts TCP connections at host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Locates an executable on PATH (like `command -v`). */
export function findOnPath(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
  const found = result.status === 0 ? result.stdout.trim() : '';
  return found.startsWith('/') ? found : undefined;
}

/** Waits for a pid (not our child) to go away; true if it did within the time. */
export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Stops a process that is not our child: `signal`, then SIGKILL after the timeout. */
export async function stopPid(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await waitForPidExit(pid, timeoutMs)) return;
  warn(`process ${pid} did not stop within ${timeoutMs} ms after ${signal}; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForPidExit(pid, 5_000);
}

/** Runs a command with its output shown; resolves with its exit code. */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with how it exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set before we stop it on purpose, so its exit is not reported as a crash. */
  stopping: boolean;
}

export interface SpawnManagedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Prefix each output line with "[name] " (only sensible when stdout is a terminal). */
  prefixOutput: boolean;
  /** Write stdout/stderr to this file descriptor instead (servers we start for the app). */
  logFd?: number;
  uid?: number;
  gid?: number;
}

const running = new Set<ManagedProcess>();

/**
 * Spawns a long-running process in its own process group, so that a Ctrl-C in the terminal
 * reaches only this script, which then stops the children in the right order.
 */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnManagedOptions): ManagedProcess {
  const stdio: SpawnOptions['stdio'] =
    options.logFd !== undefined
      ? ['ignore', options.logFd, options.logFd]
      : options.prefixOutput
        ? ['ignore', 'pipe', 'pipe']
        : ['ignore', 'inherit', 'inherit'];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio,
    detached: true,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      info(`[${name}] could not be started: ${errorText(err)}`);
      resolve({ code: 127, signal: null });
    });
  });
  const managed: ManagedProcess = { name, child, exited, stopping: false };
  running.add(managed);
  void exited.then(() => running.delete(managed));

  if (options.logFd === undefined && options.prefixOutput) {
    const tag = dim(`[${name}]`);
    for (const [stream, out] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${tag} ${line}\n`));
    }
  }
  return managed;
}

export function hasExited(proc: ManagedProcess): boolean {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

/** Stops one managed process: `signal`, then SIGKILL when it has not exited after `timeoutMs`. */
export async function stopManaged(proc: ManagedProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  proc.stopping = true;
  if (hasExited(proc) || proc.child.pid === undefined) return;
  proc.child.kill(signal);
  const timedOut = Symbol('timeout');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    proc.exited,
    new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (result !== timedOut) return;
  warn(`${proc.name} did not stop within ${timeoutMs} ms after ${signal}; sending SIGKILL`);
  proc.child.kill('SIGKILL');
  await proc.exited;
}

/**
 * Last resort when this script exits without its orderly shutdown (uncaught error, process.exit
 * elsewhere): ask every child still running to stop, so none outlives us unnoticed.
 */
export function stopAllOnExit(signalFor: (proc: ManagedProcess) => NodeJS.Signals = () => 'SIGTERM'): void {
  process.once('exit', () => {
    for (const proc of running) {
      if (!hasExited(proc)) {
        try {
          proc.child.kill(signalFor(proc));
        } catch {
          // already gone
        }
      }
    }
  });
}

/** Shutdown steps, run last-registered first (so the apps stop before the databases they use). */
export class Cleanup {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];

  get size(): number {
    return this.steps.length;
  }

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const next = this.steps.pop();
      if (!next) break;
      try {
        await next.run();
      } catch (err) {
        warn(`while stopping ${next.name}: ${errorText(err)}`);
      }
    }
  }
}

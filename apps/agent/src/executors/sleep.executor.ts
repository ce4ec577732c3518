import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentTask, TaskContext } from '@swarm/agent-sdk';
import type { Executor } from './executor';

/** An upper bound so a typo in a payload cannot park the agent for days. */
export const MAX_SLEEP_MS = 3_600_000;

/**
 * Waits, then answers {slept_ms}: stands in for slow work when exercising scheduling, timeouts
 * and graceful stop. payload.ms overrides the --sleep-ms default; aborting the task's signal
 * (cancellation, stop deadline) ends the wait early with an AbortError.
 */
export class SleepExecutor implements Executor {
  readonly name = 'sleep';

  constructor(private readonly defaultMs: number) {}

  async execute(task: AgentTask, context: TaskContext): Promise<{ slept_ms: number }> {
    const ms = this.durationFor(task.payload);
    context.progress(0, `sleeping ${ms} ms`);
    await sleep(ms, undefined, { signal: context.signal });
    context.progress(100);
    return { slept_ms: ms };
  }

  private durationFor(payload: unknown): number {
    if (typeof payload !== 'object' || payload === null || !('ms' in payload)) return this.defaultMs;
    const { ms } = payload;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
      // A task that asks for something impossible should fail visibly, not run with a default.
      throw new RangeError(`payload.ms must be an integer from 0 to ${MAX_SLEEP_MS}, got ${JSON.stringify(ms)}`);
    }
    return ms;
  }
}

import { EchoExecutor } from './echo.executor';
import type { Executor, ExecutorSettings } from './executor';
import { SleepExecutor } from './sleep.executor';

/** Every executor the agent can run, by the name given to --executor. Add new ones here. */
export const EXECUTORS = {
  echo: () => new EchoExecutor(),
  sleep: (settings: ExecutorSettings) => new SleepExecutor(settings.sleepMs),
} satisfies Record<string, (settings: ExecutorSettings) => Executor>;

export type ExecutorName = keyof typeof EXECUTORS;
export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as [ExecutorName, ...ExecutorName[]];

export function createExecutor(name: ExecutorName, settings: ExecutorSettings): Executor {
  return EXECUTORS[name](settings);
}

export type { Executor, ExecutorSettings } from './executor';

import { EchoExecutor } from './echo.executor';
import type { Executor, ExecutorSettings } from './executor';
import { HashExecutor } from './hash.executor';
import { HttpExecutor } from './http.executor';
import { LlmExecutor } from './llm.executor';
import { SleepExecutor } from './sleep.executor';

/** Every executor the agent can run, by the name given to --executor. Add new ones here. */
export const EXECUTORS = {
  echo: () => new EchoExecutor(),
  sleep: (settings: ExecutorSettings) => new SleepExecutor(settings.sleepMs),
  hash: () => new HashExecutor(),
  http: () => new HttpExecutor(),
  llm: (settings: ExecutorSettings) => {
    // The options parser requires --llm-url and --llm-model with this executor.
    if (!settings.llm) throw new Error('the llm executor needs llm settings (url and model)');
    return new LlmExecutor(settings.llm);
  },
} satisfies Record<string, (settings: ExecutorSettings) => Executor>;

export type ExecutorName = keyof typeof EXECUTORS;
export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as [ExecutorName, ...ExecutorName[]];

export function createExecutor(name: ExecutorName, settings: ExecutorSettings): Executor {
  return EXECUTORS[name](settings);
}

export type { Executor, ExecutorSettings, LlmSettings } from './executor';

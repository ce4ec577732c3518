import type { AgentTask, TaskContext } from '@swarm/agent-sdk';

/** Does the work of a task. The agent registers one executor for every task type it receives. */
export interface Executor {
  readonly name: string;
  execute(task: AgentTask, context: TaskContext): Promise<unknown>;
}

/** Where the llm executor sends its requests: an OpenAI-compatible chat completions API. */
export interface LlmSettings {
  /** Base URL of the API, up to and including its version, e.g. http://127.0.0.1:11434/v1 (Ollama). */
  url: string;
  model: string;
  /** Sent as a bearer token when given; local servers such as Ollama need none. */
  apiKey?: string;
}

/** Command-line settings an executor may use. */
export interface ExecutorSettings {
  sleepMs: number;
  /** Required by the llm executor only. */
  llm?: LlmSettings;
}

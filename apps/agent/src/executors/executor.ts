import type { AgentTask, TaskContext } from '@swarm/agent-sdk';

/** Does the work of a task. The agent registers one executor for every task type it receives. */
export interface Executor {
  readonly name: string;
  execute(task: AgentTask, context: TaskContext): Promise<unknown>;
}

/** Command-line settings an executor may use. */
export interface ExecutorSettings {
  sleepMs: number;
}

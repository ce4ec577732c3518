import type { AgentTask } from '@swarm/agent-sdk';
import type { Executor } from './executor';

/** Returns the task's payload unchanged: the smallest useful executor, for wiring checks. */
export class EchoExecutor implements Executor {
  readonly name = 'echo';

  async execute(task: AgentTask): Promise<unknown> {
    return task.payload;
  }
}

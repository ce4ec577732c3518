import { once } from 'node:events';
import { constants } from 'node:os';
import { AgentClient, ANY_TASK_TYPE, ConnectionRefusedError, type StopInfo } from '@swarm/agent-sdk';
import { createAgentLogger } from './agent-logger';
import { parseAgentOptions, USAGE } from './agent-options';
import { createExecutor } from './executors';
import { verifyingByRerun } from './executors/verification';
import { EXIT_BAD_ARGUMENTS, EXIT_FAILURE, exitCodeFor } from './exit-codes';
import { logLifecycle } from './lifecycle-log';

/**
 * Reference agent: connects to the coordinator with an agent token, registers, heartbeats,
 * and runs the tasks the coordinator assigns with the chosen executor, reporting each
 * outcome. SIGTERM/SIGINT stop it gracefully
 * (exit 0); a second signal exits at once.
 */
async function main(): Promise<number> {
  const outcome = parseAgentOptions(process.argv.slice(2), process.env);
  if (outcome.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (outcome.kind === 'invalid') {
    process.stderr.write(`agent: invalid arguments:\n${outcome.problems.map((p) => `  - ${p}`).join('\n')}\n\n${USAGE}\n`);
    return EXIT_BAD_ARGUMENTS;
  }
  const options = outcome.options;
  const logger = createAgentLogger();
  // Checks of leader-elected tasks are answered by running the task again.
  const executor = verifyingByRerun(createExecutor(options.executor, { sleepMs: options.sleepMs, llm: options.llm }));

  const client = new AgentClient({
    url: options.url,
    token: options.token,
    capabilities: options.capabilities,
    metadata: { program: 'reference-agent', executor: executor.name, ...(options.llm ? { model: options.llm.model } : {}) },
    // The client's own lifecycle lines are debug-level duplicates of the ones logged below;
    // its warnings (missed heartbeat acks, server errors) come through.
    logger: logger.child({ component: 'agent-sdk' }),
    stopTimeoutMs: options.stopTimeoutMs,
  });
  // One executor does every task the coordinator assigns, whatever its type: the agent's
  // capabilities are what steer tasks to it.
  client.onTask(ANY_TASK_TYPE, (task, context) => executor.execute(task, context));
  logLifecycle(client, logger);
  const stopped = once(client, 'stopped') as Promise<[StopInfo]>;

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ event: 'forced exit', signal }, 'second signal: exiting without waiting');
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    logger.info({ event: 'stop requested', source: 'signal', signal }, 'stop requested');
    void client.stop(`received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info(
    {
      event: 'connecting',
      url: options.url,
      executor: executor.name,
      capabilities: options.capabilities ?? null,
      ...(options.llm ? { llm_url: options.llm.url, llm_model: options.llm.model } : {}),
    },
    'connecting',
  );
  // Every outcome of connect() (refusal, stop before registering) also ends in 'stopped',
  // which decides the exit code; the rejection itself needs no handling here.
  client.connect().catch(() => undefined);

  const [info] = await stopped;
  const exitCode = exitCodeFor(info);
  // For a refusal, the server's own words (e.g. "invalid agent token") are the useful part.
  const reason = info.error instanceof ConnectionRefusedError ? info.error.reason : info.reason;
  logger.info({ event: 'stopped', reason, initiator: info.initiator, exit_code: exitCode }, 'stopped');
  if (info.error) process.stderr.write(`agent: ${info.error.message}\n`);
  return exitCode;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    process.stderr.write(`agent failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);

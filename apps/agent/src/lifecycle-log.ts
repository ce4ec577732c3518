import type { AgentClient } from '@swarm/agent-sdk';
import type { Logger } from 'pino';

/**
 * Logs the client's lifecycle and every task attempt, one line per event, each with an `event` field so a supervisor
 * or a test can follow the agent without parsing messages.
 */
export function logLifecycle(client: AgentClient, logger: Logger): void {
  client.on('registered', (info) =>
    logger.info(
      {
        event: 'registered',
        agent_id: info.agent_id,
        name: info.name,
        swarms: info.swarms.map((swarm) => ({ swarm_id: swarm.swarm_id, role: swarm.role })),
        heartbeat_interval_ms: info.heartbeat_interval_ms,
      },
      'registered',
    ),
  );
  client.on('disconnected', (reason) => logger.info({ event: 'disconnected', reason }, 'disconnected'));
  client.on('reconnecting', (attempt) => logger.info({ event: 'reconnecting', attempt }, 'reconnecting'));
  client.on('task-started', (task) =>
    logger.info(
      { event: 'task started', task_id: task.taskId, task_type: task.taskType, attempt: task.attempt, fencing_token: task.fencingToken, swarm_id: task.swarmId },
      'task started',
    ),
  );
  client.on('task-finished', (task) => {
    const fields = {
      event: 'task finished',
      task_id: task.taskId,
      task_type: task.taskType,
      fencing_token: task.fencingToken,
      outcome: task.outcome,
      duration_ms: task.durationMs,
      ...(task.error === undefined ? {} : { error: task.error, retryable: task.retryable }),
    };
    if (task.outcome === 'failed' || task.outcome === 'rejected') logger.warn(fields, 'task failed');
    else logger.info(fields, `task ${task.outcome}`);
  });
  client.on('report-rejected', (rejection) =>
    logger.warn(
      {
        event: 'report rejected',
        report: rejection.event,
        task_id: rejection.taskId,
        fencing_token: rejection.fencingToken,
        code: rejection.error.code,
        error: rejection.error.message,
      },
      'the coordinator refused a task report',
    ),
  );
  client.on('stop-requested', (payload) =>
    payload.swarm_id === undefined
      ? logger.info({ event: 'stop requested', source: 'coordinator', reason: payload.reason }, 'stop requested')
      : logger.info(
          { event: 'stop requested', source: 'coordinator', reason: payload.reason, swarm_id: payload.swarm_id },
          'removed from one swarm; still serving the others',
        ),
  );
}

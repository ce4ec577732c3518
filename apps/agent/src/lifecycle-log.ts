import type { AgentClient } from '@swarm/agent-sdk';
import type { Logger } from 'pino';

/**
 * Logs the client's lifecycle, one line per event, each with an `event` field so a supervisor
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
  client.on('stop-requested', (payload) =>
    payload.swarm_id === undefined
      ? logger.info({ event: 'stop requested', source: 'coordinator', reason: payload.reason }, 'stop requested')
      : logger.info(
          { event: 'stop requested', source: 'coordinator', reason: payload.reason, swarm_id: payload.swarm_id },
          'removed from one swarm; still serving the others',
        ),
  );
}

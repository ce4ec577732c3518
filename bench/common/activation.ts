/** Agent activation as the benchmarks wait for it: read from Postgres, where the health monitor writes it. */
import type { Client } from 'pg';
import { sleep } from './util';

/** Agents of the swarm the health monitor has not yet moved out of `pending` after they connected. */
export async function pendingAgents(pg: Client, swarmId: string): Promise<number> {
  const result = await pg.query<{ pending: number }>(
    `SELECT count(*)::int AS pending
       FROM agents a JOIN swarm_memberships m ON m.agent_id = a.id
      WHERE m.swarm_id = $1 AND a.status = 'pending'`,
    [swarmId],
  );
  return result.rows[0]?.pending ?? 0;
}

/**
 * Waits until every agent is active. A mass connect queues one health job per agent in the
 * worker; measuring before that backlog is gone would charge its CPU to the steady state.
 * Returns the wait in ms, or null if some were still pending at the deadline.
 */
export async function waitForActivation(
  pg: Client,
  swarmId: string,
  neverConnected: number,
  timeoutMs: number,
  onProgress: (pending: number) => void,
): Promise<number | null> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    // Agents that never connected stay pending for good.
    const pending = (await pendingAgents(pg, swarmId)) - neverConnected;
    if (pending <= 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return null;
    if (Date.now() - lastReport >= 5_000) {
      onProgress(pending);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}

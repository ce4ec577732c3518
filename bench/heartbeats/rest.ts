/** The REST calls the benchmark needs, made with the bootstrap admin key. */
import { runPool, throttled } from './util';

const REQUEST_TIMEOUT_MS = 30_000;

export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': this.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

export async function createSwarm(client: AdminClient, name: string, maxAgents: number, heartbeatIntervalMs: number): Promise<string> {
  const swarm = await client.post<{ id: string }>('/swarms', {
    name,
    topology: 'mesh',
    configuration: { max_agents: maxAgents, heartbeat_interval_ms: heartbeatIntervalMs },
  });
  return swarm.id;
}

/**
 * Registers `count` agents in the swarm and returns their tokens. Each registration locks the
 * swarm row, so they are serialised by Postgres anyway; a few in flight hide the round trips.
 */
export async function registerAgents(
  client: AdminClient,
  swarmId: string,
  count: number,
  concurrency: number,
  onProgress: (done: number, total: number) => void,
): Promise<string[]> {
  const tokens: string[] = new Array<string>(count);
  let done = 0;
  const progress = throttled(2_000, onProgress);
  await runPool(count, concurrency, async (index) => {
    const agent = await client.post<{ token?: string }>(`/swarms/${swarmId}/agents`, { name: `bench-agent-${index}`, agent_type: 'bench' });
    if (!agent.token) throw new Error('agent registration returned no token');
    tokens[index] = agent.token;
    done += 1;
    progress(done, count);
  });
  return tokens;
}

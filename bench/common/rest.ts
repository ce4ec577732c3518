/** The REST calls the benchmarks need, made with the bootstrap admin key. */
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

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { 'x-api-key': this.apiKey },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

/** `configuration` adds to (or overrides) the swarm configuration fields set here. */
export async function createSwarm(
  client: AdminClient,
  name: string,
  maxAgents: number,
  heartbeatIntervalMs: number,
  configuration: Record<string, unknown> = {},
): Promise<string> {
  const swarm = await client.post<{ id: string }>('/swarms', {
    name,
    topology: 'mesh',
    configuration: { max_agents: maxAgents, heartbeat_interval_ms: heartbeatIntervalMs, ...configuration },
  });
  return swarm.id;
}

/**
 * Registers `count` agents in the swarm and returns their tokens. Each registration locks the
 * swarm row, so they are serialised by Postgres anyway; a few in flight hide the round trips.
 * `fields` adds to every registration's body (max_concurrency, capabilities...).
 */
export async function registerAgents(
  client: AdminClient,
  swarmId: string,
  count: number,
  concurrency: number,
  onProgress: (done: number, total: number) => void,
  fields: Record<string, unknown> = {},
): Promise<string[]> {
  const tokens: string[] = new Array<string>(count);
  let done = 0;
  const progress = throttled(2_000, onProgress);
  await runPool(count, concurrency, async (index) => {
    const agent = await client.post<{ token?: string }>(`/swarms/${swarmId}/agents`, { name: `bench-agent-${index}`, agent_type: 'bench', ...fields });
    if (!agent.token) throw new Error('agent registration returned no token');
    tokens[index] = agent.token;
    done += 1;
    progress(done, count);
  });
  return tokens;
}

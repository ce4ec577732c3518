/** The REST calls the benchmarks need, made with the bootstrap admin key. */
import http from 'node:http';
import { runPool, throttled } from './util';

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Plain node:http on a keep-alive agent rather than fetch: the benchmarks share the machine with
 * the service they measure, and fetch (undici) cost several times more CPU per request — at a
 * couple of hundred requests a second, a visible share of a core taken from the service.
 */
export class AdminClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
  ) {
    this.url = new URL(baseUrl);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, JSON.stringify(body));
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  private request<T>(method: 'GET' | 'POST', path: string, body?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { 'x-api-key': this.apiKey };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { agent: this.agent, hostname: this.url.hostname, port: this.url.port, path, method, headers, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new Error(`${method} ${path}: HTTP ${status} ${text.slice(0, 300)}`));
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch (error) {
              reject(error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Lets the process exit: keep-alive sockets would otherwise hold it open. */
  close(): void {
    this.agent.destroy();
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

import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys, TASK_REPORTS_GROUP, TASK_REPORTS_STREAM_MAX_LENGTH } from './redis-keys';
import { REDIS_KEYS, RedisService } from './redis.module';

export type TaskReportKind = 'ack' | 'progress' | 'result' | 'fail';

/** One agent report as the gateway appends it and the worker's report processor reads it. */
export interface TaskReport {
  kind: TaskReportKind;
  agentId: string;
  taskId: string;
  fencingToken: string;
  /** Gateway receive time, ms since the epoch. */
  at: number;
  /** result: the result JSON; fail: {error, retryable}; progress: {percent, message}. */
  data?: unknown;
}

export interface StreamedTaskReport extends TaskReport {
  entryId: string;
}

/**
 * KEYS: the agent's in-flight set, the report stream. ARGV: max stream length, agent id, then per
 * report: task id, fencing token, the report's JSON. Appends, as one entry in order, the reports
 * whose attempt the agent still holds (in-flight score = its token); returns a '1' or '0' per report.
 */
const APPEND_HELD = `
local held, accepted = {}, {}
for i = 3, #ARGV, 3 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    held[#held + 1] = '1'
    accepted[#accepted + 1] = ARGV[i + 2]
  else
    held[#held + 1] = '0'
  end
end
if #accepted > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'a', ARGV[2], 'b', '[' .. table.concat(accepted, ',') .. ']')
end
return table.concat(held)`;

type AppendHeldScript = (inFlightKey: string, streamKey: string, ...args: string[]) => Promise<string>;

/**
 * Agents' task reports travel gateway → Redis stream → worker, so the gateway answers an agent
 * in one Redis round trip and the worker applies reports to Postgres in batches.
 */
@Injectable()
export class TaskReportStream {
  private readonly appendHeldScript: AppendHeldScript;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {
    redis.client.defineCommand('swarmTaskAppendHeldReports', { numberOfKeys: 2, lua: APPEND_HELD });
    const client = redis.client as unknown as Record<string, AppendHeldScript>;
    this.appendHeldScript = client.swarmTaskAppendHeldReports.bind(client);
  }

  /**
   * The gateway's one Redis call per agent message: keeps the reports whose attempt the agent
   * still holds (a superseded one is told so at once and drops its work; the worker decides for
   * good against Postgres) and stores them as one stream entry, in order: `a` the agent, `b` a
   * JSON array of {k: kind, t: task, f: fencing token, at, d: data}. A check and an append
   * as two calls cost the api, on every message, a second socket write and wake-up.
   */
  async appendHeld(agentId: string, reports: TaskReport[]): Promise<boolean[]> {
    if (reports.length === 0) return [];
    const args = [String(TASK_REPORTS_STREAM_MAX_LENGTH), agentId];
    for (const r of reports) args.push(r.taskId, r.fencingToken, JSON.stringify({ k: r.kind, t: r.taskId, f: r.fencingToken, at: r.at, d: r.data }));
    const held = await this.appendHeldScript(this.keys.agentInFlight(agentId), this.keys.taskReports, ...args);
    return reports.map((_, i) => held[i] === '1');
  }

  /**
   * When (ms, Redis time of the append ≈ the gateway's receive time) the oldest report the
   * report processor has not applied yet was appended — read by a worker but not acknowledged,
   * or not read at all — or null when it has caught up.
   */
  async oldestUnappliedAt(): Promise<number | null> {
    const client = this.redis.client;
    const key = this.keys.taskReports;
    let groups: unknown[];
    try {
      groups = (await client.xinfo('GROUPS', key)) as unknown[];
    } catch {
      return null; // no stream yet: no report was ever sent
    }
    let lastDelivered: string | undefined;
    for (const group of groups as string[][]) {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), String(group[i + 1]));
      if (fields.get('name') === TASK_REPORTS_GROUP) lastDelivered = fields.get('last-delivered-id');
    }
    if (lastDelivered === undefined) return null;
    const [pending, undelivered] = await Promise.all([
      client.xpending(key, TASK_REPORTS_GROUP) as Promise<[number, string | null, string | null, unknown]>,
      client.xrange(key, `(${lastDelivered}`, '+', 'COUNT', 1),
    ]);
    const ids = [pending[1], undelivered[0]?.[0]].filter((id): id is string => typeof id === 'string');
    return ids.length === 0 ? null : Math.min(...ids.map((id) => Number(id.split('-')[0])));
  }
}

const KINDS: ReadonlySet<string> = new Set<TaskReportKind>(['ack', 'progress', 'result', 'fail']);

/**
 * The reports in one stream entry, or null when the entry is not a report entry. Reads both
 * layouts: a batch (`a`, `b`) and the older one report per entry (`k`, `a`, `t`, `f`, `at`, `d`).
 */
export function parseTaskReports(entryId: string, fields: string[]): StreamedTaskReport[] | null {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  if (!map.a) return null;
  if (map.b !== undefined) {
    let items: unknown;
    try {
      items = JSON.parse(map.b);
    } catch {
      return null;
    }
    if (!Array.isArray(items)) return null;
    const reports: StreamedTaskReport[] = [];
    for (const item of items as Array<Record<string, unknown>>) {
      if (!item || typeof item.k !== 'string' || !KINDS.has(item.k) || typeof item.t !== 'string' || typeof item.f !== 'string') return null;
      reports.push({ entryId, kind: item.k as TaskReportKind, agentId: map.a, taskId: item.t, fencingToken: item.f, at: Number(item.at), data: item.d });
    }
    return reports;
  }
  if (!map.k || !KINDS.has(map.k) || !map.t || !map.f) return null;
  let data: unknown;
  if (map.d) {
    try {
      data = JSON.parse(map.d);
    } catch {
      return null;
    }
  }
  return [{ entryId, kind: map.k as TaskReportKind, agentId: map.a, taskId: map.t, fencingToken: map.f, at: Number(map.at), data }];
}

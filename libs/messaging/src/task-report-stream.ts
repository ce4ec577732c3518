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
 * Agents' task reports travel gateway → Redis stream → worker, so the gateway answers an agent
 * in one Redis round trip and the worker applies reports to Postgres in batches.
 */
@Injectable()
export class TaskReportStream {
  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  /**
   * Stores one agent's reports as one stream entry, in order: `a` the agent, `b` a JSON array
   * of {k: kind, t: task, f: fencing token, at, d: data}. One entry per message the agent sent,
   * so a batch costs one append, not one per report.
   */
  async append(agentId: string, reports: TaskReport[]): Promise<void> {
    if (reports.length === 0) return;
    const encoded = reports.map((r) => ({ k: r.kind, t: r.taskId, f: r.fencingToken, at: r.at, d: r.data }));
    await this.redis.client.xadd(this.keys.taskReports, 'MAXLEN', '~', String(TASK_REPORTS_STREAM_MAX_LENGTH), '*', 'a', agentId, 'b', JSON.stringify(encoded));
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

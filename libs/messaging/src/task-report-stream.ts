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

  async append(report: TaskReport): Promise<void> {
    await this.redis.client.xadd(
      this.keys.taskReports, 'MAXLEN', '~', String(TASK_REPORTS_STREAM_MAX_LENGTH), '*',
      'k', report.kind, 'a', report.agentId, 't', report.taskId, 'f', report.fencingToken, 'at', String(report.at),
      'd', report.data === undefined ? '' : JSON.stringify(report.data),
    );
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

export function parseTaskReport(entryId: string, fields: string[]): StreamedTaskReport | null {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  if (!map.k || !map.a || !map.t || !map.f) return null;
  let data: unknown;
  if (map.d) {
    try {
      data = JSON.parse(map.d);
    } catch {
      return null;
    }
  }
  return { entryId, kind: map.k as TaskReportKind, agentId: map.a, taskId: map.t, fencingToken: map.f, at: Number(map.at), data };
}

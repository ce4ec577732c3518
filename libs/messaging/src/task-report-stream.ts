import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys, TASK_REPORTS_STREAM_MAX_LENGTH } from './redis-keys';
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

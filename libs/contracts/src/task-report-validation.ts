import type { AckError, TaskFailPayload, TaskProgressPayload, TaskReportBase, TaskResultPayload } from './agent-socket';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FENCING_TOKEN = /^[1-9][0-9]{0,18}$/;
export const TASK_RESULT_MAX_BYTES = 256 * 1024;
const ERROR_MAX_CHARS = 4_000;
const PROGRESS_MESSAGE_MAX_CHARS = 500;

export type ReportCheck<T> = { ok: true; value: T } | { ok: false; error: AckError };

const ALLOWED = {
  ack: new Set(['task_id', 'fencing_token']),
  progress: new Set(['task_id', 'fencing_token', 'percent', 'message']),
  result: new Set(['task_id', 'fencing_token', 'result']),
  fail: new Set(['task_id', 'fencing_token', 'error', 'retryable']),
};

/**
 * Task reports arrive once or more per task: checked by hand like heartbeats (same rules and
 * messages as REST bodies, unknown fields refused) instead of through class-validator.
 */
export function validateTaskReport(kind: 'ack', payload: unknown): ReportCheck<TaskReportBase>;
export function validateTaskReport(kind: 'progress', payload: unknown): ReportCheck<TaskProgressPayload>;
export function validateTaskReport(kind: 'result', payload: unknown): ReportCheck<TaskResultPayload>;
export function validateTaskReport(kind: 'fail', payload: unknown): ReportCheck<TaskFailPayload>;
export function validateTaskReport(kind: keyof typeof ALLOWED, payload: unknown): ReportCheck<TaskReportBase> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, error: { code: 'validation_failed', message: 'payload must be a JSON object' } };
  }
  const report = payload as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(report)) if (!ALLOWED[kind].has(key)) problems.push(`property ${key} should not exist`);
  if (!(typeof report.task_id === 'string' && UUID.test(report.task_id))) problems.push('task_id: task_id must be a UUID');
  if (!(typeof report.fencing_token === 'string' && FENCING_TOKEN.test(report.fencing_token))) {
    problems.push('fencing_token: fencing_token must be the decimal string from task.assign');
  }
  if (kind === 'progress') {
    const percent = report.percent;
    if (!(typeof percent === 'number' && Number.isFinite(percent) && percent >= 0 && percent <= 100)) {
      problems.push('percent: percent must be a number between 0 and 100');
    }
    if (report.message !== undefined && !(typeof report.message === 'string' && report.message.length <= PROGRESS_MESSAGE_MAX_CHARS)) {
      problems.push(`message: message must be a string of at most ${PROGRESS_MESSAGE_MAX_CHARS} characters`);
    }
  }
  if (kind === 'result' && report.result !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(report.result) ?? '');
    if (size > TASK_RESULT_MAX_BYTES) problems.push(`result: result is ${size} bytes; the limit is ${TASK_RESULT_MAX_BYTES}`);
  }
  if (kind === 'fail') {
    if (!(typeof report.error === 'string' && report.error.length > 0 && report.error.length <= ERROR_MAX_CHARS)) {
      problems.push(`error: error must be a non-empty string of at most ${ERROR_MAX_CHARS} characters`);
    }
    if (report.retryable !== undefined && typeof report.retryable !== 'boolean') problems.push('retryable: retryable must be a boolean');
  }
  if (problems.length > 0) return { ok: false, error: { code: 'validation_failed', message: problems.join('; '), details: problems } };
  return { ok: true, value: report as unknown as TaskReportBase };
}

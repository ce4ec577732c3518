import { AckError, HeartbeatPayload, REPORTABLE_AGENT_STATUSES } from './agent-socket';

const ALLOWED = new Set(['status', 'cpu_percent', 'memory_mb', 'queue_depth', 'current_task_id']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type HeartbeatCheck = { ok: true; value: HeartbeatPayload } | { ok: false; error: AckError };

function numberIn(value: unknown, min: number, max: number, integer: boolean): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
}

/**
 * The heartbeat is the hottest message (every agent, every interval), so it is checked by hand
 * rather than through class-validator: same rules and messages as REST bodies (unknown fields
 * refused), a fraction of the allocation.
 */
export function validateHeartbeat(payload: unknown): HeartbeatCheck {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, error: { code: 'validation_failed', message: 'payload must be a JSON object' } };
  }
  const beat = payload as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(beat)) if (!ALLOWED.has(key)) problems.push(`property ${key} should not exist`);
  if (!(REPORTABLE_AGENT_STATUSES as readonly unknown[]).includes(beat.status)) {
    problems.push(`status: status must be one of ${REPORTABLE_AGENT_STATUSES.join(', ')}`);
  }
  if (beat.cpu_percent !== undefined && !numberIn(beat.cpu_percent, 0, 100_000, false)) {
    problems.push('cpu_percent: cpu_percent must be a number between 0 and 100000');
  }
  if (beat.memory_mb !== undefined && !numberIn(beat.memory_mb, 0, 10_000_000, false)) {
    problems.push('memory_mb: memory_mb must be a number between 0 and 10000000');
  }
  if (beat.queue_depth !== undefined && !numberIn(beat.queue_depth, 0, 1_000_000, true)) {
    problems.push('queue_depth: queue_depth must be an integer between 0 and 1000000');
  }
  const task = beat.current_task_id;
  if (task !== undefined && task !== null && !(typeof task === 'string' && UUID.test(task))) {
    problems.push('current_task_id: current_task_id must be a UUID or null');
  }
  if (problems.length > 0) return { ok: false, error: { code: 'validation_failed', message: problems.join('; '), details: problems } };
  return { ok: true, value: beat as unknown as HeartbeatPayload };
}

import { DEPENDENCY_TYPES, TASK_PRIORITY } from '@swarm/domain';
import {
  SubmitTaskDto,
  TASK_BATCH_MAX,
  TASK_CAPABILITIES_MAX,
  TASK_CAPABILITY_PATTERN,
  TASK_DEPENDENCIES_MAX,
  TASK_DEPENDENCY_PATTERN,
  TASK_IDEMPOTENCY_KEY_LENGTH,
  TASK_MAX_ATTEMPTS,
  TASK_REF_PATTERN,
  TASK_SUBMISSION_MESSAGES as M,
  TASK_TIMEOUT_MS,
  TASK_TYPE_PATTERN,
} from './task.dto';

/** Every problem as a "path: message" line, worded and ordered as the REST ValidationPipe does. */
export type TaskSubmissionCheck = { ok: true; tasks: SubmitTaskDto[] } | { ok: false; problems: string[] };

const TASK_FIELDS = new Set(['task_type', 'payload', 'priority', 'required_capabilities', 'depends_on', 'dependency_type', 'max_attempts', 'timeout_ms', 'idempotency_key', 'ref', 'redundancy', 'consensus', 'pipeline', 'leader_election']);
/**
 * Keys the class-transformer step before class-validator never copied (they name members of
 * Object.prototype), so they were neither used nor reported as unknown: still ignored.
 */
const IGNORED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));
const NESTED_NOT_OBJECT = 'each value in nested property tasks must be either object or array';
const NESTED_ARRAY = 'each task must be an object';

/**
 * `POST /swarms/:id/tasks` with one task. Batches of up to 1,000 tasks made class-validator and
 * class-transformer a large share of the api's CPU and garbage; this applies the rules of
 * SubmitTaskDto by hand with the same messages in the same order (the parity spec runs both
 * on the same bodies), and hands the body on without copying it.
 */
export function validateSubmitTask(body: object): TaskSubmissionCheck {
  const problems: string[] = [];
  checkTask(body as Record<string, unknown>, '', problems);
  return problems.length === 0 ? { ok: true, tasks: [body as SubmitTaskDto] } : { ok: false, problems };
}

/** `{"tasks": [...]}`: the rules of SubmitTaskBatchDto, see validateSubmitTask. */
export function validateSubmitTaskBatch(body: object): TaskSubmissionCheck {
  const problems: string[] = [];
  const envelope = body as Record<string, unknown>;
  for (const key of Object.keys(envelope)) if (key !== 'tasks' && !IGNORED_KEYS.has(key)) problems.push(unknownProperty('', key));
  const tasks = envelope.tasks;
  const isArray = Array.isArray(tasks);
  if (tasks === undefined || tasks === null) problems.push('tasks: tasks should not be null or undefined');
  if (!(isArray && tasks.length <= TASK_BATCH_MAX)) problems.push(`tasks: ${M.batchMax}`);
  if (!(isArray && tasks.length >= 1)) problems.push('tasks: tasks must contain at least 1 elements');
  if (!isArray) problems.push('tasks: tasks must be an array');
  if (isArray) {
    for (let index = 0; index < tasks.length; index += 1) checkElement(tasks[index], `tasks.${index}`, problems);
  } else if (typeof tasks === 'object' && tasks !== null) {
    checkTask(tasks as Record<string, unknown>, 'tasks', problems);
  } else if (tasks !== undefined) {
    problems.push(`tasks: ${NESTED_NOT_OBJECT}`);
  }
  return problems.length === 0 ? { ok: true, tasks: tasks as SubmitTaskDto[] } : { ok: false, problems };
}

function checkElement(value: unknown, path: string, problems: string[]): void {
  if (typeof value !== 'object' || value === null) {
    if (value !== undefined) problems.push(`${path}: ${NESTED_NOT_OBJECT}`);
    return;
  }
  if (!Array.isArray(value)) return checkTask(value as Record<string, unknown>, path, problems);
  // class-validator descends into an array inside the array and reports its tasks' problems;
  // one it finds nothing wrong with was accepted and then failed to store (a 500): refused.
  const before = problems.length;
  for (let index = 0; index < value.length; index += 1) checkElement(value[index], `${path}.${index}`, problems);
  if (problems.length === before) problems.push(`${path}: ${NESTED_ARRAY}`);
}

function checkTask(task: Record<string, unknown>, parent: string, problems: string[]): void {
  const at = parent === '' ? '' : `${parent}.`;
  for (const key of Object.keys(task)) if (!TASK_FIELDS.has(key) && !IGNORED_KEYS.has(key)) problems.push(unknownProperty(parent, key));

  const taskType = task.task_type;
  if (!(typeof taskType === 'string' && TASK_TYPE_PATTERN.test(taskType))) problems.push(`${at}task_type: ${M.taskType}`);
  if (typeof taskType !== 'string') problems.push(`${at}task_type: task_type must be a string`);

  if (task.priority !== undefined) checkInteger(task.priority, 'priority', TASK_PRIORITY, M.priority, at, problems);
  if (task.required_capabilities !== undefined) {
    checkList(task.required_capabilities, 'required_capabilities', TASK_CAPABILITY_PATTERN, TASK_CAPABILITIES_MAX, M.capability, at, problems);
  }
  if (task.depends_on !== undefined) checkList(task.depends_on, 'depends_on', TASK_DEPENDENCY_PATTERN, TASK_DEPENDENCIES_MAX, M.dependsOn, at, problems);
  const dependencyType = task.dependency_type;
  if (dependencyType !== undefined && !(DEPENDENCY_TYPES as readonly unknown[]).includes(dependencyType)) {
    problems.push(`${at}dependency_type: ${M.dependencyType}`);
  }
  if (task.max_attempts !== undefined) checkInteger(task.max_attempts, 'max_attempts', TASK_MAX_ATTEMPTS, M.maxAttempts, at, problems);
  if (task.timeout_ms !== undefined) checkInteger(task.timeout_ms, 'timeout_ms', TASK_TIMEOUT_MS, M.timeoutMs, at, problems);

  const key = task.idempotency_key;
  if (key !== undefined) {
    if (!(typeof key === 'string' && hasLength(key, TASK_IDEMPOTENCY_KEY_LENGTH.min, TASK_IDEMPOTENCY_KEY_LENGTH.max))) {
      problems.push(`${at}idempotency_key: ${lengthMessage('idempotency_key', key, TASK_IDEMPOTENCY_KEY_LENGTH.min, TASK_IDEMPOTENCY_KEY_LENGTH.max)}`);
    }
    if (typeof key !== 'string') problems.push(`${at}idempotency_key: idempotency_key must be a string`);
  }

  if (task.redundancy !== undefined) checkInteger(task.redundancy, 'redundancy', { min: 2, max: 10 }, M.redundancy, at, problems);
  const consensus = task.consensus;
  if (consensus !== undefined && (typeof consensus !== 'object' || consensus === null || Array.isArray(consensus))) problems.push(`${at}consensus: ${M.consensus}`);

  if (task.pipeline !== undefined && typeof task.pipeline !== 'boolean') problems.push(`${at}pipeline: ${M.pipeline}`);
  if (task.leader_election !== undefined) checkInteger(task.leader_election, 'leader_election', { min: 2, max: 10 }, M.leaderElection, at, problems);

  const ref = task.ref;
  if (ref !== undefined) {
    if (!(typeof ref === 'string' && TASK_REF_PATTERN.test(ref))) problems.push(`${at}ref: ${M.ref}`);
    if (typeof ref !== 'string') problems.push(`${at}ref: ref must be a string`);
  }
}

/** @Max, @Min, @IsInt: class-validator reports them in that order (decorators apply bottom-up). */
function checkInteger(value: unknown, name: string, bounds: { min: number; max: number }, notInteger: string, at: string, problems: string[]): void {
  const isNumber = typeof value === 'number';
  if (!(isNumber && value <= bounds.max)) problems.push(`${at}${name}: ${name} must not be greater than ${bounds.max}`);
  if (!(isNumber && value >= bounds.min)) problems.push(`${at}${name}: ${name} must not be less than ${bounds.min}`);
  if (!(isNumber && Number.isInteger(value))) problems.push(`${at}${name}: ${notInteger}`);
}

/** @Matches({each}), @ArrayMaxSize, @IsArray; `each` on a non-array checks the value itself. */
function checkList(value: unknown, name: string, pattern: RegExp, max: number, notMatching: string, at: string, problems: string[]): void {
  const isArray = Array.isArray(value);
  let matches = true;
  if (isArray) {
    for (const entry of value) {
      if (!(typeof entry === 'string' && pattern.test(entry))) {
        matches = false;
        break;
      }
    }
  } else matches = typeof value === 'string' && pattern.test(value);
  if (!matches) problems.push(`${at}${name}: ${notMatching}`);
  if (!(isArray && value.length <= max)) problems.push(`${at}${name}: ${name} must contain no more than ${max} elements`);
  if (!isArray) problems.push(`${at}${name}: ${name} must be an array`);
}

/** validator.js isLength: a surrogate pair or a character with a presentation selector counts once. */
function hasLength(value: string, min: number, max: number): boolean {
  // Pairs only shorten the count, and never to zero for a non-empty string.
  if (min <= 1 && value.length >= 1 && value.length <= max) return true;
  const presentation = value.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g)?.length ?? 0;
  const surrogates = value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
  const length = value.length - presentation - surrogates;
  return length >= min && length <= max;
}

/** @Length's message, which looks at `.length` of whatever value it was given. */
function lengthMessage(name: string, value: unknown, min: number, max: number): string {
  const length = (value as { length?: unknown } | null | undefined)?.length as number;
  if (!value || length < min) return `${name} must be longer than or equal to ${min} characters`;
  if (length > max) return `${name} must be shorter than or equal to ${max} characters`;
  return `${name} must be longer than or equal to ${min} and shorter than or equal to ${max} characters`;
}

/** The global pipe's wording, path included, built the same way (String.replace, `$` patterns and all). */
function unknownProperty(parent: string, key: string): string {
  const message = `property ${key} should not exist`;
  return message.replace(`property ${key} `, `property ${parent === '' ? key : `${parent}.${key}`} `);
}

import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { describeValidationErrors } from '../../../apps/api/src/common/validation';
import { SubmitTaskBatchDto, SubmitTaskDto } from './task.dto';
import { validateSubmitTask, validateSubmitTaskBatch } from './task-submission-validation';

type Outcome = { ok: true; tasks: unknown[] } | { ok: false; problems: string[] } | { threw: string };

/** What POST /swarms/:id/tasks did with a body before: class-transformer, then class-validator with the global pipe's options. */
async function throughDtos(body: object): Promise<Outcome> {
  const isBatch = 'tasks' in body;
  try {
    const instance: object = isBatch ? plainToInstance(SubmitTaskBatchDto, body) : plainToInstance(SubmitTaskDto, body);
    const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
    if (errors.length > 0) return { ok: false, problems: describeValidationErrors(errors) };
    return { ok: true, tasks: isBatch ? (instance as SubmitTaskBatchDto).tasks : [instance] };
  } catch (error) {
    return { threw: String(error) };
  }
}

function byHand(body: object): Outcome {
  return 'tasks' in body ? validateSubmitTaskBatch(body) : validateSubmitTask(body);
}

const FIELDS = ['task_type', 'payload', 'priority', 'required_capabilities', 'depends_on', 'dependency_type', 'max_attempts', 'timeout_ms', 'idempotency_key', 'ref'];
/** The fields the submission reads, as data, so tasks from both paths compare whatever their class. */
const plain = (tasks: unknown[]): unknown =>
  JSON.parse(JSON.stringify(tasks.map((task) => Object.fromEntries(FIELDS.map((field) => [field, (task as Record<string, unknown>)[field]])))));

async function expectSameOutcome(body: object): Promise<Outcome> {
  const before = await throughDtos(body);
  const now = byHand(body);
  const label = JSON.stringify(body).slice(0, 300);
  expect({ label, threw: 'threw' in before }).toEqual({ label, threw: false });
  if ('threw' in before || 'threw' in now) return now;
  expect({ label, ok: now.ok, problems: now.ok ? [] : now.problems }).toEqual({ label, ok: before.ok, problems: before.ok ? [] : before.problems });
  if (now.ok && before.ok) expect(plain(now.tasks)).toEqual(plain(before.tasks));
  return now;
}

const UUID = '0190a8b4-0000-7000-8000-000000000000';
const many = (n: number, value: unknown) => Array.from({ length: n }, () => value);

const SINGLE_BODIES: object[] = [
  { task_type: 'echo' },
  { task_type: 'echo', payload: { text: 'hi', nested: [1, { a: null }] }, priority: 7, idempotency_key: 'job-1' },
  {
    task_type: 'a.b:c/d-e_f',
    payload: 'text',
    priority: 1,
    required_capabilities: ['gpu', 'x86_64', 'net:egress'],
    depends_on: [UUID, 'ref-1'],
    dependency_type: 'completion',
    max_attempts: 20,
    timeout_ms: 86_400_000,
    idempotency_key: 'k'.repeat(200),
    ref: 'a:b.c-d_e',
  },
  { task_type: 'echo', payload: null, required_capabilities: [], depends_on: [], dependency_type: 'success', max_attempts: 1, timeout_ms: 100 },
  {},
  { task_type: '' },
  { task_type: null },
  { task_type: 5 },
  { task_type: ['echo'] },
  { task_type: { name: 'echo' } },
  { task_type: '-echo' },
  { task_type: 'e'.repeat(100) },
  { task_type: 'e'.repeat(101) },
  { task_type: 'x', priority: 11 },
  { task_type: 'x', priority: 0 },
  { task_type: 'x', priority: 10 },
  { task_type: 'x', priority: 5.5 },
  { task_type: 'x', priority: '5' },
  { task_type: 'x', priority: null },
  { task_type: 'x', priority: true },
  { task_type: 'x', priority: [5] },
  { task_type: 'x', priority: Number.POSITIVE_INFINITY },
  { task_type: 'x', priority: -1e21 },
  { task_type: 'x', unknown: 1 },
  { task_type: 'x', colour: 'red', Priority: 3, '': 0, 'a.b': 1, $: 1, '$&': 2, "$'x": 3, '$`': 4, '$$': 5, '7': 6 },
  { toString: 1, valueOf: 'x', hasOwnProperty: null, isPrototypeOf: [], propertyIsEnumerable: {}, toLocaleString: 2, constructor: 3, task_type: 'x' },
  { task_type: 'x', required_capabilities: 'gpu' },
  { task_type: 'x', required_capabilities: 'bad cap' },
  { task_type: 'x', required_capabilities: ['bad cap'] },
  { task_type: 'x', required_capabilities: [1] },
  { task_type: 'x', required_capabilities: [null] },
  { task_type: 'x', required_capabilities: [['gpu']] },
  { task_type: 'x', required_capabilities: null },
  { task_type: 'x', required_capabilities: {} },
  { task_type: 'x', required_capabilities: 3 },
  { task_type: 'x', required_capabilities: many(32, 'gpu') },
  { task_type: 'x', required_capabilities: many(33, 'gpu') },
  { task_type: 'x', required_capabilities: [...many(33, 'gpu'), 'bad cap'] },
  { task_type: 'x', required_capabilities: ['c'.repeat(64)] },
  { task_type: 'x', required_capabilities: ['c'.repeat(65)] },
  { task_type: 'x', depends_on: ['nope'] },
  { task_type: 'x', depends_on: ['has space'] },
  { task_type: 'x', depends_on: [UUID.toUpperCase()] },
  { task_type: 'x', depends_on: ['-'.repeat(36)] },
  { task_type: 'x', depends_on: UUID },
  { task_type: 'x', depends_on: [UUID, 7] },
  { task_type: 'x', depends_on: many(100, UUID) },
  { task_type: 'x', depends_on: many(101, UUID) },
  { task_type: 'x', depends_on: null },
  { task_type: 'x', dependency_type: 'always' },
  { task_type: 'x', dependency_type: null },
  { task_type: 'x', dependency_type: ['success'] },
  { task_type: 'x', max_attempts: 0 },
  { task_type: 'x', max_attempts: 21 },
  { task_type: 'x', max_attempts: 2.5 },
  { task_type: 'x', max_attempts: '3' },
  { task_type: 'x', timeout_ms: 99 },
  { task_type: 'x', timeout_ms: 86_400_001 },
  { task_type: 'x', timeout_ms: 1000.5 },
  { task_type: 'x', timeout_ms: null },
  { task_type: 'x', idempotency_key: '' },
  { task_type: 'x', idempotency_key: 'k'.repeat(201) },
  { task_type: 'x', idempotency_key: '😀'.repeat(200) },
  { task_type: 'x', idempotency_key: '😀'.repeat(201) },
  { task_type: 'x', idempotency_key: 'a\uFE0F'.repeat(150) },
  { task_type: 'x', idempotency_key: '\uD83D\uDE00\uFE0F'.repeat(90) },
  { task_type: 'x', idempotency_key: 'a'.repeat(199) + '😀' },
  { task_type: 'x', idempotency_key: 5 },
  { task_type: 'x', idempotency_key: 0 },
  { task_type: 'x', idempotency_key: false },
  { task_type: 'x', idempotency_key: true },
  { task_type: 'x', idempotency_key: null },
  { task_type: 'x', idempotency_key: [] },
  { task_type: 'x', idempotency_key: ['k'] },
  { task_type: 'x', idempotency_key: many(201, 'k') },
  { task_type: 'x', idempotency_key: {} },
  { task_type: 'x', idempotency_key: { length: 500 } },
  { task_type: 'x', ref: '' },
  { task_type: 'x', ref: 'r'.repeat(64) },
  { task_type: 'x', ref: 'r'.repeat(65) },
  { task_type: 'x', ref: 'a/b' },
  { task_type: 'x', ref: 3 },
  { task_type: 'x', ref: null },
  { task_type: null, priority: null, required_capabilities: null, depends_on: null, dependency_type: null, max_attempts: null, timeout_ms: null, idempotency_key: null, ref: null, payload: null, extra: null },
  { extra: 1, ref: 9, idempotency_key: 9, timeout_ms: 'x', max_attempts: 'x', dependency_type: 9, depends_on: 9, required_capabilities: 9, priority: 'x', task_type: 9 },
];

const BATCH_BODIES: object[] = [
  { tasks: [{ task_type: 'a' }, { task_type: 'b', ref: 'b', depends_on: ['a'] }] },
  { tasks: many(1000, { task_type: 'a' }) },
  { tasks: many(1001, { task_type: 'a' }) },
  { tasks: [...many(1000, { task_type: 'a' }), 'x'] },
  { tasks: [] },
  { tasks: null },
  { tasks: 'x' },
  { tasks: 5 },
  { tasks: true },
  { tasks: {} },
  { tasks: { task_type: 'a' } },
  { tasks: { task_type: 'a', colour: 1 } },
  { tasks: { 0: { task_type: 'a' } } },
  { tasks: [null] },
  { tasks: ['x', 3, false, null] },
  { tasks: [{ task_type: 'a' }, {}, { task_type: 'c', priority: 42 }, { task_type: 'd', priority: 'high', colour: 'red' }] },
  { tasks: [[{ task_type: '' }]] },
  { tasks: [[{ task_type: 'a' }, 'x'], { task_type: 'b' }] },
  { tasks: [[[{ colour: 1 }]]] },
  { tasks: [{ task_type: 'a' }], colour: 'red' },
  { colour: 'red', tasks: [{ task_type: 'a', colour: 'blue' }], shade: 1 },
  { task_type: 'a', tasks: [{ task_type: 'a' }] },
  { tasks: [{ task_type: 'a' }], toString: 1, constructor: 2, valueOf: null },
  { tasks: [{ task_type: 'a', toString: 'x', constructor: 1 }] },
  { tasks: [{ '$&': 1, task_type: 'a' }, { '$`': 1, task_type: 'a' }] },
];

describe('validateSubmitTask / validateSubmitTaskBatch: the same outcome as SubmitTaskDto / SubmitTaskBatchDto', () => {
  it.each(SINGLE_BODIES.map((body) => [JSON.stringify(body).slice(0, 80), body]))('single %s', async (_label, body) => {
    await expectSameOutcome(body);
  });

  it.each(BATCH_BODIES.map((body) => [JSON.stringify(body).slice(0, 80), body]))('batch %s', async (_label, body) => {
    await expectSameOutcome(body);
  });

  it('names nested problems by index path, unknown fields first, in field order', async () => {
    const tasks: unknown[] = many(5, { task_type: 'ok' });
    tasks[1] = { task_type: 'ok', colour: 'red' };
    tasks[3] = { priority: 0, task_type: 'ok', depends_on: ['bad dep'], shade: 1 };
    tasks[4] = 'oops';
    const result = await expectSameOutcome({ tasks });
    expect(result).toEqual({
      ok: false,
      problems: [
        'property tasks.1.colour should not exist',
        'property tasks.3.shade should not exist',
        'tasks.3.priority: priority must not be less than 1',
        'tasks.3.depends_on: each depends_on entry must be a task id or a ref from the same batch',
        'tasks.4: each value in nested property tasks must be either object or array',
      ],
    });
  });

  it('agrees on randomly assembled bodies', async () => {
    const pools: Record<string, unknown[]> = {
      task_type: ['echo', '', '-x', 7, null, ['echo'], 'e'.repeat(101)],
      payload: [{ a: 1 }, 'text', null, [1, 2], 0],
      priority: [1, 5, 10, 0, 11, 2.5, '5', null, true],
      required_capabilities: [['gpu'], [], 'gpu', ['bad cap'], [3], null, many(33, 'x'), {}],
      depends_on: [[UUID], ['ref'], [], UUID, ['bad dep'], [null], null, many(101, 'r')],
      dependency_type: ['success', 'completion', 'never', null, 1],
      max_attempts: [1, 20, 0, 21, 1.5, '2', null],
      timeout_ms: [100, 86_400_000, 99, 86_400_001, 150.5, null, 'x'],
      idempotency_key: ['k', '', 'k'.repeat(201), '😀'.repeat(150), 5, null, [], { length: 3 }],
      ref: ['r', '', 'r/s', 'r'.repeat(65), 3, null],
      colour: ['red'],
      toString: [1],
    };
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const randomTask = (): Record<string, unknown> => {
      const task: Record<string, unknown> = {};
      for (const [field, values] of Object.entries(pools)) {
        if (random() < (field === 'task_type' ? 0.85 : 0.3)) task[field] = values[Math.floor(random() * values.length)];
      }
      return task;
    };
    for (let i = 0; i < 400; i += 1) {
      await expectSameOutcome(randomTask());
      await expectSameOutcome({ tasks: Array.from({ length: 1 + Math.floor(random() * 4) }, randomTask) });
    }
  });

  it('hands the body on as it came, without copying it', () => {
    const task = { task_type: 'echo', payload: { text: 'hi' } };
    const single = validateSubmitTask(task);
    expect(single.ok && single.tasks[0]).toBe(task);
    const body = { tasks: [task] };
    const batch = validateSubmitTaskBatch(body);
    expect(batch.ok && batch.tasks).toBe(body.tasks);
  });
});

describe('where the hand-written validator deliberately differs (the DTO path answered 500 or altered the payload)', () => {
  it('refuses an array nested in the tasks array, which the DTOs passed on to fail when stored', async () => {
    expect(await throughDtos({ tasks: [[{ task_type: 'a' }]] })).toMatchObject({ ok: true });
    expect(byHand({ tasks: [[{ task_type: 'a' }]] })).toEqual({ ok: false, problems: ['tasks.0: each task must be an object'] });
    expect(byHand({ tasks: [{ task_type: 'a' }, []] })).toEqual({ ok: false, problems: ['tasks.1: each task must be an object'] });
  });

  it('keeps payload keys that are names of Object.prototype members, which class-transformer dropped or choked on', async () => {
    const payload = { toString: 'a', valueOf: 1, nested: [{ hasOwnProperty: true }] };
    expect(await throughDtos({ task_type: 'x', payload })).toEqual({ ok: true, tasks: [expect.objectContaining({ payload: { nested: [{}] } })] });
    expect(byHand({ task_type: 'x', payload })).toEqual({ ok: true, tasks: [{ task_type: 'x', payload }] });
    expect(await throughDtos({ task_type: 'x', payload: { constructor: 'x' } })).toEqual({ threw: expect.stringContaining('TypeError') });
    expect(byHand({ task_type: 'x', payload: { constructor: 'x' } })).toMatchObject({ ok: true });
  });
});

import type { TaskWithDependencies } from '@swarm/db';
import { presentSubmittedTasks, presentTask } from './task.presenter';
import type { CreatedTask } from './use-cases/submit-tasks';

const createdAt = new Date('2026-01-02T03:04:05.678Z');

function created(overrides: Partial<CreatedTask>): CreatedTask {
  return {
    kind: 'created',
    id: '01a1f000-0000-7000-8000-000000000001',
    swarmId: '01a1f000-0000-7000-8000-0000000000aa',
    taskType: 'summarise',
    payload: { text: 'hi', list: [1, null] },
    payloadJson: '{"text":"hi","list":[1,null]}',
    priority: 7,
    requiredCapabilities: ['gpu', 'llm'],
    status: 'queued',
    maxAttempts: 3,
    timeoutMs: 60_000,
    idempotencyKey: 'job-1',
    waitReason: null,
    error: null,
    createdAt,
    dependsOn: [],
    dependencyType: 'success',
    dependencies: [],
    ...overrides,
  };
}

/** The same task as Postgres gives it back once stored. */
function stored(task: CreatedTask): TaskWithDependencies {
  return {
    id: task.id,
    ownerId: '01a1f000-0000-7000-8000-0000000000bb',
    swarmId: task.swarmId,
    parentTaskId: null,
    redundancy: null,
    consensus: null,
    pipeline: null,
    verification: null,
    taskType: task.taskType,
    payload: task.payload as TaskWithDependencies['payload'],
    priority: task.priority,
    requiredCapabilities: task.requiredCapabilities,
    status: task.status,
    maxAttempts: task.maxAttempts,
    attemptCount: 0,
    timeoutMs: task.timeoutMs,
    idempotencyKey: task.idempotencyKey,
    assignedAgentId: null,
    fencingToken: null,
    availableAt: null,
    deadlineAt: null,
    progress: null,
    progressMessage: null,
    waitReason: task.waitReason,
    result: null,
    error: task.error,
    createdAt: task.createdAt,
    queuedAt: task.status === 'queued' ? task.createdAt : null,
    assignedAt: null,
    startedAt: null,
    completedAt: task.status === 'failed' ? task.createdAt : null,
    updatedAt: task.createdAt,
    dependsOn: task.dependencies.map((d) => ({ ...d })),
  };
}

describe('presentSubmittedTasks', () => {
  it('shows a created task exactly as presentTask shows it once stored, field order included', () => {
    const tasks = [
      created({}),
      created({ status: 'pending', waitReason: 'waiting for 2 dependencies', payload: null, requiredCapabilities: [], idempotencyKey: null,
        dependencies: [{ dependsOnTaskId: '01a1f000-0000-7000-8000-000000000002', type: 'completion' }, { dependsOnTaskId: '01a1f000-0000-7000-8000-000000000003', type: 'completion' }] }),
      created({ status: 'failed', error: 'dependency 01a1f000-0000-7000-8000-000000000002 ended failed' }),
    ];
    const views = presentSubmittedTasks(tasks);
    tasks.forEach((task, i) => expect(JSON.stringify(views[i])).toBe(JSON.stringify(presentTask(stored(task)))));
  });

  it('shows an idempotent repeat as stored, in the order given', () => {
    const repeat = stored(created({ id: '01a1f000-0000-7000-8000-000000000009', createdAt: new Date('2025-12-31T00:00:00.000Z') }));
    const fresh = created({});
    const views = presentSubmittedTasks([fresh, repeat, fresh]);
    expect(views.map((v) => v.id)).toEqual([fresh.id, repeat.id, fresh.id]);
    expect(views[1]).toEqual(presentTask(repeat));
    expect(views[1].created_at).toBe('2025-12-31T00:00:00.000Z');
  });
});

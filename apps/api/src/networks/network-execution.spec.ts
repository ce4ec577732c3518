import { splitTask, taskTypeOf } from './use-cases/execute-network';
import { countStatuses, executionStatus } from './use-cases/network-records';

const ids = { networkId: 'n', executionId: 'e' };

describe('splitting a network task', () => {
  it('makes one subtask per element of items, inputs or subtasks, in that order of preference', () => {
    const parts = splitTask({ type: 't', inputs: ['x'], items: [1, 2] }, 5, ids);
    expect(parts).toEqual([
      { network_id: 'n', execution_id: 'e', part: 1, parts: 2, split_on: 'items', item: 1, context: { type: 't', inputs: ['x'] } },
      { network_id: 'n', execution_id: 'e', part: 2, parts: 2, split_on: 'items', item: 2, context: { type: 't', inputs: ['x'] } },
    ]);
  });

  it('gives every agent the whole task when there is nothing to split', () => {
    expect(splitTask({ items: [] }, 2, ids)).toEqual([
      { network_id: 'n', execution_id: 'e', part: 1, parts: 2, task: { items: [] } },
      { network_id: 'n', execution_id: 'e', part: 2, parts: 2, task: { items: [] } },
    ]);
    expect(splitTask('text', 1, ids)).toEqual([{ network_id: 'n', execution_id: 'e', part: 1, parts: 1, task: 'text' }]);
  });

  it('takes the task type from task.type and refuses a malformed one', () => {
    expect(taskTypeOf({ type: 'summarise' })).toBe('summarise');
    expect(taskTypeOf({ job: 1 })).toBe('network.execute');
    expect(() => taskTypeOf({ type: 'has space' })).toThrow(/task.type/);
  });
});

describe('an execution status from its subtasks', () => {
  it.each([
    [['queued', 'pending'], 'queued'],
    [['running', 'queued'], 'running'],
    [['completed', 'queued'], 'running'],
    [['completed', 'completed'], 'completed'],
    [['completed', 'timed_out'], 'failed'],
    [['completed', 'cancelled'], 'cancelled'],
  ] as const)('%j is %s', (statuses, expected) => {
    expect(executionStatus(countStatuses([...statuses]))).toBe(expected);
  });
});

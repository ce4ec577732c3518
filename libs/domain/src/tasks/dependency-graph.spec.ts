import { evaluateDependencies, findDependencyCycle } from './dependency-graph';
import { DependencyType, TaskStatus } from './task.types';

describe('findDependencyCycle', () => {
  it('finds a self-dependency', () => {
    expect(findDependencyCycle([{ key: 'a', dependsOn: [] }, { key: 'b', dependsOn: ['b'] }])).toEqual(['b', 'b']);
  });

  it('finds a two-node cycle', () => {
    expect(findDependencyCycle([{ key: 'a', dependsOn: ['b'] }, { key: 'b', dependsOn: ['a'] }])).toEqual(['a', 'b', 'a']);
  });

  it('finds a longer cycle and names only the keys on it', () => {
    const nodes = [
      { key: 'entry', dependsOn: ['c1'] },
      { key: 'c1', dependsOn: ['c2'] },
      { key: 'c2', dependsOn: ['leaf', 'c3'] },
      { key: 'c3', dependsOn: ['c1'] },
      { key: 'leaf', dependsOn: [] },
    ];
    expect(findDependencyCycle(nodes)).toEqual(['c1', 'c2', 'c3', 'c1']);
  });

  it('returns null for a DAG, diamonds included', () => {
    const nodes = [
      { key: 'top', dependsOn: ['left', 'right'] },
      { key: 'left', dependsOn: ['bottom'] },
      { key: 'right', dependsOn: ['bottom'] },
      { key: 'bottom', dependsOn: [] },
    ];
    expect(findDependencyCycle(nodes)).toBeNull();
    expect(findDependencyCycle([])).toBeNull();
  });

  it('ignores dependencies on tasks outside the batch', () => {
    expect(findDependencyCycle([{ key: 'a', dependsOn: ['existing-task'] }, { key: 'b', dependsOn: ['a', 'existing-task'] }])).toBeNull();
  });

  it('walks every node once, so layered diamonds stay fast', () => {
    // 40 layers of two nodes, each depending on both of the next layer: 2^40 paths, 80 nodes.
    const nodes = Array.from({ length: 80 }, (_, i) => {
      const layer = Math.floor(i / 2);
      return { key: `n${i}`, dependsOn: layer < 39 ? [`n${2 * layer + 2}`, `n${2 * layer + 3}`] : [] };
    });
    expect(findDependencyCycle(nodes)).toBeNull();
  });

  it('copes with a chain longer than the call stack would', () => {
    const n = 100_000;
    const chain = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, dependsOn: i + 1 < n ? [`k${i + 1}`] : ['k0'] }));
    const cycle = findDependencyCycle(chain);
    expect(cycle).toHaveLength(n + 1);
    expect(cycle![0]).toBe('k0');
    expect(cycle![n]).toBe('k0');
  });
});

describe('evaluateDependencies', () => {
  const dep = (prerequisiteId: string, prerequisiteStatus: TaskStatus, type: DependencyType = 'success') => ({ prerequisiteId, prerequisiteStatus, type });

  it('is ready without dependencies or when all completed', () => {
    expect(evaluateDependencies([])).toEqual({ state: 'ready' });
    expect(evaluateDependencies([dep('a', 'completed'), dep('b', 'completed', 'completion')])).toEqual({ state: 'ready' });
  });

  it('lets a completion dependency be satisfied by any final status', () => {
    expect(evaluateDependencies([dep('a', 'failed', 'completion'), dep('b', 'cancelled', 'completion'), dep('c', 'timed_out', 'completion')])).toEqual({ state: 'ready' });
  });

  it('fails the dependant when a success prerequisite ended otherwise, even while others run', () => {
    expect(evaluateDependencies([dep('a', 'timed_out')])).toEqual({ state: 'failed', reason: 'dependency a ended timed_out' });
    expect(evaluateDependencies([dep('p', 'running'), dep('z', 'failed'), dep('y', 'cancelled')])).toEqual({ state: 'failed', reason: 'dependency y ended cancelled' });
  });

  it('waits while a prerequisite is not final, counting them', () => {
    expect(evaluateDependencies([dep('a', 'pending'), dep('b', 'completed')])).toEqual({ state: 'waiting', reason: 'waiting for 1 dependency' });
    expect(evaluateDependencies([dep('a', 'queued'), dep('b', 'assigned', 'completion'), dep('c', 'running')])).toEqual({ state: 'waiting', reason: 'waiting for 3 dependencies' });
  });
});

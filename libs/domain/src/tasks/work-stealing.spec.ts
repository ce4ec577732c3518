import { BacklogEntry, DispatchAgent, DispatchTask } from './task.types';
import { chooseSteals } from './work-stealing';

const agent = (id: string, capabilities: string[] = [], extra: Partial<DispatchAgent> = {}): DispatchAgent => ({
  id,
  capabilities,
  maxConcurrency: 2,
  inFlight: 0,
  planned: 0,
  ...extra,
});

const entry = (agentId: string, taskId: string, requiredCapabilities: string[] = []): BacklogEntry => ({
  agentId,
  task: { id: taskId, taskType: 'summarise', priority: 5, requiredCapabilities, queuedAt: 1_000 } satisfies DispatchTask,
});

const backlog = (agentId: string, ...taskIds: string[]) => taskIds.map((id) => entry(agentId, id));

describe('chooseSteals', () => {
  it('lets an idle fast agent take the head of a slow agent backlog, up to its free slots', () => {
    const slow = agent('slow', [], { maxConcurrency: 1, inFlight: 1, planned: 3 });
    const fast = agent('fast', [], { maxConcurrency: 4, inFlight: 2 });
    expect(chooseSteals([fast], backlog('slow', 't1', 't2', 't3'), [slow, fast])).toEqual([
      { taskId: 't1', fromAgentId: 'slow', toAgentId: 'fast' },
      { taskId: 't2', fromAgentId: 'slow', toAgentId: 'fast' },
    ]);
  });

  it('takes from the longest backlog relative to maxConcurrency', () => {
    const big = agent('big', [], { maxConcurrency: 4, inFlight: 4 });
    const small = agent('small', [], { maxConcurrency: 1, inFlight: 1 });
    const thief = agent('thief', [], { maxConcurrency: 1 });
    const steals = chooseSteals([thief], [...backlog('big', 'b1', 'b2', 'b3'), ...backlog('small', 's1', 's2')], [big, small, thief]);
    expect(steals).toEqual([{ taskId: 's1', fromAgentId: 'small', toAgentId: 'thief' }]);
  });

  it('re-weighs victims after every steal', () => {
    const v1 = agent('v1', [], { maxConcurrency: 1, inFlight: 1 });
    const v2 = agent('v2', [], { maxConcurrency: 1, inFlight: 1 });
    const thief = agent('thief', [], { maxConcurrency: 3 });
    const steals = chooseSteals([thief], [...backlog('v2', 'y1', 'y2', 'y3'), ...backlog('v1', 'x1', 'x2')], [v1, v2, thief]);
    expect(steals.map((s) => s.taskId)).toEqual(['y1', 'x1', 'y2']);
  });

  it('steals only tasks the thief is capable of, skipping past the head when needed', () => {
    const victim = agent('victim', ['gpu', 'web'], { maxConcurrency: 1, inFlight: 1 });
    const thief = agent('thief', ['web'], { maxConcurrency: 2 });
    const entries = [entry('victim', 'g1', ['gpu']), entry('victim', 'w1', ['web']), entry('victim', 'g2', ['gpu'])];
    expect(chooseSteals([thief], entries, [victim, thief])).toEqual([{ taskId: 'w1', fromAgentId: 'victim', toAgentId: 'thief' }]);
  });

  it('passes over a longer backlog it cannot run for a shorter one it can', () => {
    const gpuBox = agent('gpu-box', ['gpu'], { maxConcurrency: 1, inFlight: 1 });
    const webBox = agent('web-box', ['web'], { maxConcurrency: 1, inFlight: 1 });
    const thief = agent('thief', ['web'], { maxConcurrency: 1 });
    const entries = [entry('gpu-box', 'g1', ['gpu']), entry('gpu-box', 'g2', ['gpu']), entry('gpu-box', 'g3', ['gpu']), entry('web-box', 'w1', ['web'])];
    expect(chooseSteals([thief], entries, [gpuBox, webBox, thief])).toEqual([{ taskId: 'w1', fromAgentId: 'web-box', toAgentId: 'thief' }]);
  });

  it('never steals a task twice, sharing a victim between thieves in turn', () => {
    const victim = agent('victim', [], { maxConcurrency: 1, inFlight: 1 });
    const a = agent('a', [], { maxConcurrency: 2 });
    const b = agent('b', [], { maxConcurrency: 2 });
    const steals = chooseSteals([b, a], backlog('victim', 't1', 't2', 't3'), [victim, a, b]);
    expect(steals).toEqual([
      { taskId: 't1', fromAgentId: 'victim', toAgentId: 'a' },
      { taskId: 't2', fromAgentId: 'victim', toAgentId: 'b' },
      { taskId: 't3', fromAgentId: 'victim', toAgentId: 'a' },
    ]);
  });

  it('treats a task listed in two backlogs as one', () => {
    const thief = agent('thief', [], { maxConcurrency: 3 });
    const steals = chooseSteals([thief], [...backlog('v1', 'dup'), ...backlog('v2', 'dup', 'other')], [agent('v1'), agent('v2'), thief]);
    expect(steals.map((s) => s.taskId)).toEqual(['dup', 'other']);
    expect(steals[0].fromAgentId).toBe('v1');
  });

  it('never steals from itself', () => {
    const thief = agent('thief', [], { maxConcurrency: 2 });
    expect(chooseSteals([thief], backlog('thief', 't1', 't2'), [thief])).toEqual([]);
  });

  it('steals nothing without free slots', () => {
    const busy = agent('busy', [], { maxConcurrency: 2, inFlight: 2 });
    expect(chooseSteals([busy], backlog('victim', 't1'), [busy, agent('victim')])).toEqual([]);
  });

  it('drains first the backlog of an agent that can never run it', () => {
    const gone = backlog('gone', 'g1'); // not among the agents: disconnected
    const stuck = backlog('stuck', 's1'); // maxConcurrency 0
    const crowded = backlog('crowded', 'c1', 'c2', 'c3', 'c4', 'c5');
    const thief = agent('thief', [], { maxConcurrency: 2 });
    const steals = chooseSteals([thief], [...crowded, ...stuck, ...gone], [agent('crowded', [], { maxConcurrency: 1 }), agent('stuck', [], { maxConcurrency: 0 }), thief]);
    expect(steals.map((s) => s.taskId)).toEqual(['g1', 's1']);
  });

  it('does not depend on the order thieves are listed in', () => {
    const victim = agent('victim', ['gpu'], { maxConcurrency: 1, inFlight: 1 });
    const thieves = [agent('x', ['gpu'], { maxConcurrency: 1 }), agent('y', [], { maxConcurrency: 2 }), agent('z', ['gpu'], { maxConcurrency: 3 })];
    const entries = [entry('victim', 'g1', ['gpu']), entry('victim', 'p1'), entry('victim', 'g2', ['gpu']), entry('victim', 'p2')];
    const all = [victim, ...thieves];
    expect(chooseSteals([...thieves].reverse(), entries, all)).toEqual(chooseSteals(thieves, entries, all));
  });
});

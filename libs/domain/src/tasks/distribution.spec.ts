import { DISTRIBUTION_ALGORITHMS, DistributionAlgorithm } from '../swarm/swarm.types';
import { affinityScore, planTasks } from './distribution';
import { AgentTypeStats, DispatchAgent, DispatchTask, Plan, PlanContext } from './task.types';

const agent = (id: string, capabilities: string[] = [], extra: Partial<DispatchAgent> = {}): DispatchAgent => ({
  id,
  capabilities,
  maxConcurrency: 2,
  inFlight: 0,
  planned: 0,
  ...extra,
});

const task = (id: string, extra: Partial<DispatchTask> = {}): DispatchTask => ({
  id,
  taskType: 'summarise',
  priority: 5,
  requiredCapabilities: [],
  queuedAt: 1_000,
  ...extra,
});

const context = (algorithm: DistributionAlgorithm, extra: Partial<PlanContext> = {}): PlanContext => ({
  algorithm,
  roundRobinCursor: 0,
  stats: new Map(),
  ...extra,
});

const tasks = (n: number, extra: Partial<DispatchTask> = {}) => Array.from({ length: n }, (_, i) => task(`t${String(i).padStart(2, '0')}`, extra));
const targets = (plan: Plan) => plan.placements.map((p) => p.agentId);
const noBacklog = { backlogLimit: () => 0 };

/** Small deterministic PRNG, so the generated scenarios are the same on every run. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scenario(seed: number) {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const caps = ['gpu', 'python', 'rust', 'web'];
  const someCaps = (max: number) => caps.filter(() => random() < max);
  const agents = Array.from({ length: 1 + pick(6) }, (_, i) => {
    const maxConcurrency = pick(4); // 0 included: such agents must never get work
    return agent(`a${i}`, someCaps(0.6), { maxConcurrency, inFlight: pick(maxConcurrency + 1), planned: pick(maxConcurrency + 1) });
  });
  const work = Array.from({ length: pick(25) }, (_, i) =>
    task(`t${i}`, { priority: 1 + pick(10), queuedAt: pick(5), requiredCapabilities: someCaps(0.25), taskType: pick(2) ? 'x' : 'y' }),
  );
  const stats = new Map(
    agents.filter(() => random() < 0.5).map((a) => [a.id, new Map([['x', { completed: pick(20), failed: pick(5), successRate: random(), latencyMs: random() < 0.3 ? null : 10 + pick(1000) }]])]),
  );
  return { agents, work, stats, cursor: pick(10) };
}

describe('planTasks, every algorithm', () => {
  describe.each(DISTRIBUTION_ALGORITHMS)('%s', (algorithm) => {
    it('never exceeds an agent capacity, places only on capable agents, and leaves no fitting task behind', () => {
      for (let seed = 1; seed <= 300; seed++) {
        const { agents, work, stats, cursor } = scenario(seed);
        const plan = planTasks(work, agents, context(algorithm, { stats, roundRobinCursor: cursor }));

        const placed = new Map<string, number>();
        const taskIds = plan.placements.map((p) => p.taskId);
        expect(new Set(taskIds).size).toBe(taskIds.length);
        for (const p of plan.placements) {
          const a = agents.find((x) => x.id === p.agentId)!;
          const t = work.find((x) => x.id === p.taskId)!;
          expect(a.maxConcurrency).toBeGreaterThan(0);
          expect(t.requiredCapabilities.every((c) => a.capabilities.includes(c))).toBe(true);
          placed.set(a.id, (placed.get(a.id) ?? 0) + 1);
        }
        for (const a of agents) {
          const used = a.inFlight + a.planned + (placed.get(a.id) ?? 0);
          if (placed.has(a.id)) expect(used).toBeLessThanOrEqual(2 * a.maxConcurrency);
        }
        // Work-conserving: a task left out without a reason has every capable agent full.
        const waitingIds = new Set(plan.waiting.map((w) => w.taskId));
        for (const t of work) {
          if (taskIds.includes(t.id)) {
            expect(waitingIds.has(t.id)).toBe(false);
            continue;
          }
          const capable = agents.filter((a) => a.maxConcurrency > 0 && t.requiredCapabilities.every((c) => a.capabilities.includes(c)));
          if (capable.length === 0) expect(waitingIds.has(t.id)).toBe(true);
          for (const a of capable) expect(a.inFlight + a.planned + (placed.get(a.id) ?? 0)).toBeGreaterThanOrEqual(2 * a.maxConcurrency);
        }
      }
    });

    it('gives the same plan whatever order tasks and agents are listed in', () => {
      for (let seed = 1; seed <= 50; seed++) {
        const { agents, work, stats, cursor } = scenario(seed);
        const ctx = context(algorithm, { stats, roundRobinCursor: cursor });
        const plan = planTasks(work, agents, ctx);
        const again = planTasks([...work].reverse(), [...agents].reverse(), ctx);
        expect(again.placements).toEqual(plan.placements);
        expect(again.roundRobinCursor).toBe(plan.roundRobinCursor);
        expect(new Set(again.waiting.map((w) => w.taskId))).toEqual(new Set(plan.waiting.map((w) => w.taskId)));
      }
    });

    it('serves higher priority first, then older, then lower id, when room is short', () => {
      const one = [agent('a', [], { maxConcurrency: 1 })];
      const work = [task('low', { priority: 3 }), task('new', { priority: 8, queuedAt: 9 }), task('old', { priority: 8, queuedAt: 2 })];
      expect(planTasks(work, one, context(algorithm, noBacklog)).placements).toEqual([{ taskId: 'old', agentId: 'a' }]);
      const sameAge = [task('t2', { priority: 8 }), task('t1', { priority: 8 })];
      expect(planTasks(sameAge, one, context(algorithm, noBacklog)).placements).toEqual([{ taskId: 't1', agentId: 'a' }]);
    });
  });
});

describe('planTasks, capacity', () => {
  it('fills free slots and a backlog of maxConcurrency by default', () => {
    const plan = planTasks(tasks(10), [agent('a', [], { maxConcurrency: 3, inFlight: 1, planned: 1 })], context('least_loaded'));
    expect(plan.placements).toHaveLength(4);
  });

  it('honours a custom backlog limit', () => {
    const a = agent('a', [], { maxConcurrency: 3, inFlight: 1 });
    expect(planTasks(tasks(10), [a], context('least_loaded', noBacklog)).placements).toHaveLength(2);
    expect(planTasks(tasks(10), [a], context('least_loaded', { backlogLimit: () => 5 })).placements).toHaveLength(7);
  });

  it('never gives work to an agent with maxConcurrency 0', () => {
    const plan = planTasks(tasks(3), [agent('zero', [], { maxConcurrency: 0 }), agent('one', [], { maxConcurrency: 1 })], context('round_robin'));
    expect(new Set(targets(plan))).toEqual(new Set(['one']));
  });
});

describe('planTasks, waiting reasons', () => {
  const reasons = (plan: Plan) => plan.waiting.map((w) => w.reason);

  it('says the swarm has no agent', () => {
    expect(planTasks([task('t')], [], context('least_loaded')).waiting).toEqual([{ taskId: 't', reason: 'no connected agent in the swarm' }]);
  });

  it('names the capabilities no agent has, sorted', () => {
    const plan = planTasks([task('t', { requiredCapabilities: ['python', 'gpu'] })], [agent('a', ['web'])], context('least_loaded'));
    expect(reasons(plan)).toEqual(['no connected agent has capabilities [gpu, python]']);
    const partly = planTasks([task('t', { requiredCapabilities: ['python', 'gpu'] })], [agent('a', ['gpu'])], context('least_loaded'));
    expect(reasons(partly)).toEqual(['no connected agent has capabilities [python]']);
  });

  it('says so when the capabilities exist but never on one agent', () => {
    const plan = planTasks([task('t', { requiredCapabilities: ['python', 'gpu'] })], [agent('a', ['gpu']), agent('b', ['python'])], context('least_loaded'));
    expect(reasons(plan)).toEqual(['no single connected agent has all of [gpu, python]']);
  });

  it('says so when the only capable agents take no work', () => {
    const plan = planTasks([task('t', { requiredCapabilities: ['gpu'] })], [agent('a', ['gpu'], { maxConcurrency: 0 })], context('least_loaded'));
    expect(reasons(plan)).toEqual(['every connected agent with capabilities [gpu] has max_concurrency 0']);
  });

  it('leaves a task whose capable agents are full queued without a reason', () => {
    const full = agent('a', ['gpu'], { maxConcurrency: 1, inFlight: 1, planned: 1 });
    const plan = planTasks([task('t', { requiredCapabilities: ['gpu'] }), task('u')], [full, agent('b')], context('least_loaded'));
    expect(plan.waiting).toEqual([]);
    expect(plan.placements).toEqual([{ taskId: 'u', agentId: 'b' }]);
  });
});

describe('planTasks, round_robin', () => {
  const three = () => [agent('b'), agent('c'), agent('a')];

  it('rotates over agents sorted by id from the cursor and returns the next position', () => {
    const plan = planTasks(tasks(4), three(), context('round_robin'));
    expect(targets(plan)).toEqual(['a', 'b', 'c', 'a']);
    expect(plan.roundRobinCursor).toBe(1);
  });

  it('carries the rotation across cycles', () => {
    const first = planTasks(tasks(2), three(), context('round_robin'));
    expect(targets(first)).toEqual(['a', 'b']);
    const second = planTasks(tasks(2), three(), context('round_robin', { roundRobinCursor: first.roundRobinCursor }));
    expect(targets(second)).toEqual(['c', 'a']);
    expect(second.roundRobinCursor).toBe(1);
  });

  it('skips agents that are not capable or full, and moves the cursor past the one chosen', () => {
    const agents = [agent('a', ['web']), agent('b', ['gpu'], { inFlight: 2, planned: 2 }), agent('c', ['gpu'])];
    const plan = planTasks([task('t', { requiredCapabilities: ['gpu'] })], agents, context('round_robin'));
    expect(targets(plan)).toEqual(['c']);
    expect(plan.roundRobinCursor).toBe(0);
  });

  it('wraps a cursor beyond the agent count', () => {
    expect(targets(planTasks(tasks(1), three(), context('round_robin', { roundRobinCursor: 7 })))).toEqual(['b']);
  });
});

describe('planTasks, least_loaded', () => {
  it('compares load relative to maxConcurrency', () => {
    const agents = [agent('a', [], { maxConcurrency: 4, inFlight: 2 }), agent('b', [], { maxConcurrency: 1 })];
    expect(targets(planTasks(tasks(2), agents, context('least_loaded')))).toEqual(['b', 'a']);
  });

  it('breaks ties by absolute load, then id', () => {
    const agents = [agent('b', [], { maxConcurrency: 4, inFlight: 2 }), agent('a', [], { maxConcurrency: 2, inFlight: 1 }), agent('c', [], { maxConcurrency: 2, inFlight: 1 })];
    expect(targets(planTasks(tasks(1), agents, context('least_loaded')))).toEqual(['a']);
  });
});

describe('planTasks, capability_match', () => {
  it('keeps the generalist free for what only it can do', () => {
    const agents = [agent('generalist', ['python', 'gpu', 'web']), agent('specialist', ['python'], { inFlight: 1 })];
    const work = [task('t1', { requiredCapabilities: ['python'] }), task('t2', { requiredCapabilities: ['gpu'], queuedAt: 2_000 })];
    const plan = planTasks(work, agents, context('capability_match'));
    expect(plan.placements).toEqual([
      { taskId: 't1', agentId: 'specialist' },
      { taskId: 't2', agentId: 'generalist' },
    ]);
    // least_loaded would have sent t1 to the idle generalist.
    expect(planTasks(work, agents, context('least_loaded')).placements[0].agentId).toBe('generalist');
  });

  it('falls back to the generalist once the specialist is full', () => {
    const agents = [agent('generalist', ['python', 'gpu']), agent('specialist', ['python'], { maxConcurrency: 1 })];
    expect(targets(planTasks(tasks(3, { requiredCapabilities: ['python'] }), agents, context('capability_match')))).toEqual(['specialist', 'specialist', 'generalist']);
  });

  it('breaks ties by load', () => {
    const agents = [agent('a', ['gpu'], { inFlight: 1 }), agent('b', ['web'])];
    expect(targets(planTasks(tasks(1), agents, context('capability_match')))).toEqual(['b']);
  });
});

describe('planTasks, affinity', () => {
  const stats = (entries: Record<string, AgentTypeStats>, taskType = 'summarise') =>
    new Map(Object.entries(entries).map(([agentId, s]) => [agentId, new Map([[taskType, s]])]));
  const proven: AgentTypeStats = { completed: 50, failed: 0, successRate: 1, latencyMs: 100 };

  it('prefers the proven agent, yet spreads load and tries a new agent', () => {
    const agents = [agent('newcomer', [], { maxConcurrency: 4 }), agent('proven', [], { maxConcurrency: 4 })];
    const plan = planTasks(tasks(6), agents, context('affinity', { stats: stats({ proven }), ...noBacklog }));
    expect(targets(plan)).toEqual(['proven', 'proven', 'proven', 'newcomer', 'proven', 'newcomer']);
  });

  it('prefers a newcomer to an agent that keeps failing', () => {
    const poor: AgentTypeStats = { completed: 4, failed: 36, successRate: 0.1, latencyMs: 100 };
    const agents = [agent('newcomer'), agent('poor')];
    expect(targets(planTasks(tasks(1), agents, context('affinity', { stats: stats({ poor }) })))).toEqual(['newcomer']);
  });

  it('trusts many samples more than one lucky success', () => {
    const lucky: AgentTypeStats = { completed: 1, failed: 0, successRate: 1, latencyMs: null };
    const steady: AgentTypeStats = { completed: 90, failed: 10, successRate: 0.9, latencyMs: null };
    const agents = [agent('lucky'), agent('steady')];
    expect(targets(planTasks(tasks(1), agents, context('affinity', { stats: stats({ lucky, steady }) })))).toEqual(['steady']);
  });

  it('prefers the faster of two equally reliable agents', () => {
    const agents = [agent('fast'), agent('slow')];
    const s = stats({ fast: { ...proven, latencyMs: 400 }, slow: { ...proven, latencyMs: 100 } });
    // Names are deliberately swapped against the latencies so that the id tie-break cannot pass this.
    expect(targets(planTasks(tasks(1), agents, context('affinity', { stats: s })))).toEqual(['slow']);
  });

  it('reads stats of the task type only', () => {
    const agents = [agent('a', [], { inFlight: 1 }), agent('b')];
    const s = stats({ a: proven }, 'translate');
    expect(targets(planTasks(tasks(1), agents, context('affinity', { stats: s })))).toEqual(['b']);
  });

  it('scores by the documented formula', () => {
    expect(affinityScore(undefined, null, 0)).toBeCloseTo(0.5 + 0.25 * 0.5);
    expect(affinityScore({ completed: 8, failed: 2, successRate: 0.8, latencyMs: 200 }, 100, 0.5)).toBeCloseTo(9 / 12 + 0.25 * 0.5 - 0.5);
  });
});

describe('planTasks, priority_queue', () => {
  it('sends each task to the least-loaded capable agent, highest priority first', () => {
    const agents = [agent('a', [], { inFlight: 1 }), agent('b')];
    const plan = planTasks([task('low', { priority: 2 }), task('high', { priority: 9 })], agents, context('priority_queue'));
    expect(plan.placements).toEqual([
      { taskId: 'high', agentId: 'b' },
      { taskId: 'low', agentId: 'a' },
    ]);
  });

  it('keeps a blocked higher-priority task queued (not waiting) and places lower priorities where there is room', () => {
    const gpu = agent('gpu', ['gpu'], { maxConcurrency: 1, inFlight: 1, planned: 1 });
    const cpu = agent('cpu', [], { maxConcurrency: 1 });
    const work = [task('blocked', { priority: 9, requiredCapabilities: ['gpu'] }), task('low1', { priority: 2 }), task('low2', { priority: 2, queuedAt: 5_000 })];
    const plan = planTasks(work, [gpu, cpu], context('priority_queue'));
    expect(plan.placements).toEqual([
      { taskId: 'low1', agentId: 'cpu' },
      { taskId: 'low2', agentId: 'cpu' },
    ]);
    expect(plan.waiting).toEqual([]);
  });
});

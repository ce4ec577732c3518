import { DistributionAlgorithm } from '../swarm/swarm.types';
import { compareDispatchOrder, compareText, normaliseCapabilities, requirementClass } from './task-ordering';
import { AgentTypeStats, DispatchAgent, DispatchTask, Placement, Plan, PlanContext, WaitingTask } from './task.types';

/** An agent during one plan: what it holds, what this plan gave it, and where it stops. */
interface Candidate {
  agent: DispatchAgent;
  capabilities: ReadonlySet<string>;
  /** inFlight + planned + placed by this plan. */
  used: number;
  /** maxConcurrency + backlog limit. */
  limit: number;
  /** priority_queue: the priority of the task that reserved it, if any. */
  reservedFor: number | null;
}

type Choose = (task: DispatchTask, open: Candidate[], eligible: Candidate[]) => Candidate;

/**
 * Places ready tasks into agents' backlogs. Tasks are visited in dispatch order (priority desc,
 * queuedAt asc, id) and each goes to one capable agent that still has room, chosen by the
 * swarm's algorithm. A task no agent could ever run (capabilities) is reported as waiting; a
 * task whose capable agents are merely full stays queued silently: it will fit later.
 * Deterministic: the same input gives the same plan on every worker copy.
 */
export function planTasks(tasks: DispatchTask[], agents: DispatchAgent[], context: PlanContext): Plan {
  const backlogLimit = context.backlogLimit ?? ((agent: DispatchAgent) => agent.maxConcurrency);
  const candidates = uniqueBy([...agents].sort((a, b) => compareText(a.id, b.id)), (a) => a.id).map(
    (agent): Candidate => ({
      agent,
      capabilities: new Set(agent.capabilities),
      used: agent.inFlight + agent.planned,
      limit: agent.maxConcurrency + Math.max(0, backlogLimit(agent)),
      reservedFor: null,
    }),
  );

  const placements: Placement[] = [];
  const waiting: WaitingTask[] = [];
  const eligibleByClass = new Map<string, Candidate[]>();
  const reasonByClass = new Map<string, string>();
  let cursor = normaliseCursor(context.roundRobinCursor, candidates.length);

  const choose: Choose =
    context.algorithm === 'round_robin'
      ? (_task, open) => {
          const picked = firstFromCursor(candidates, cursor, new Set(open));
          cursor = (candidates.indexOf(picked) + 1) % candidates.length;
          return picked;
        }
      : CHOOSERS[context.algorithm](context);

  for (const task of uniqueBy([...tasks].sort(compareDispatchOrder), (t) => t.id)) {
    const required = normaliseCapabilities(task.requiredCapabilities);
    const key = requirementClass(required);
    let eligible = eligibleByClass.get(key);
    if (!eligible) {
      eligible = candidates.filter((c) => c.agent.maxConcurrency > 0 && required.every((cap) => c.capabilities.has(cap)));
      eligibleByClass.set(key, eligible);
    }
    if (eligible.length === 0) {
      let reason = reasonByClass.get(key);
      if (reason === undefined) {
        reason = whyNoAgent(required, candidates);
        reasonByClass.set(key, reason);
      }
      waiting.push({ taskId: task.id, reason });
      continue;
    }

    const open = eligible.filter((c) => c.used < c.limit && (c.reservedFor === null || c.reservedFor <= task.priority));
    if (open.length === 0) {
      if (context.algorithm === 'priority_queue') reserve(eligible, task.priority);
      continue;
    }
    const picked = choose(task, open, eligible);
    picked.used += 1;
    placements.push({ taskId: task.id, agentId: picked.agent.id });
  }

  return { placements, waiting, roundRobinCursor: cursor };
}

const CHOOSERS: Record<Exclude<DistributionAlgorithm, 'round_robin'>, (context: PlanContext) => Choose> = {
  least_loaded: () => (_task, open) => best(open, compareLoad),
  // The agent with the fewest capabilities it does not need for this task: generalists stay
  // free for the tasks only they can run.
  capability_match: () => (task, open) => {
    const required = new Set(task.requiredCapabilities);
    const spare = (c: Candidate) => [...c.capabilities].filter((cap) => !required.has(cap)).length;
    return best(open, (a, b) => spare(a) - spare(b) || compareLoad(a, b));
  },
  affinity: (context) => (task, open, eligible) => {
    const stats = (c: Candidate) => context.stats.get(c.agent.id)?.get(task.taskType);
    const latencies = eligible.map((c) => stats(c)?.latencyMs).filter((l): l is number => typeof l === 'number' && l >= 0);
    const fastest = latencies.length > 0 ? Math.max(1, Math.min(...latencies)) : null;
    const score = (c: Candidate) => affinityScore(stats(c), fastest, c.used / c.agent.maxConcurrency);
    return best(open, (a, b) => score(b) - score(a) || compareLoad(a, b));
  },
  // Strict priority: higher-priority tasks are visited first and take the least-loaded agent;
  // the reservation (see planTasks) keeps lower priorities off agents a blocked task waits for.
  priority_queue: () => (_task, open) => best(open, compareLoad),
};

/** Weights of the affinity score; see affinityScore. */
export const AFFINITY_WEIGHTS = { latency: 0.25, load: 1 } as const;
/** Score of an agent nobody has seen yet on a task type: a coin flip, on both counts. */
const NEUTRAL = 0.5;

/**
 * affinity score = quality + 0.25 * speed - 1 * load, higher is better.
 *
 * - quality = (successRate * n + 1) / (n + 2), n = completed + failed: the recent success rate,
 *   Laplace-smoothed towards 1/2. An agent without history scores 0.5 (exploration: new agents
 *   get tried); one lucky success is worth little (2/3), a hundred are worth almost their rate.
 * - speed = fastest / latency, the fastest known latency among the task's capable agents over
 *   this agent's (0..1]; 0.5 when the agent has no latency yet. Success matters more than speed,
 *   hence the smaller weight.
 * - load = (inFlight + planned) / maxConcurrency, including this plan's placements: every task
 *   given to an agent lowers its score, so a proven agent takes the first tasks but not all of
 *   them. With equal maxConcurrency 4, a proven fast agent (quality ~0.94, speed 1) stays ahead
 *   of a newcomer (0.5, 0.5) until it holds ~2 more tasks than the newcomer.
 */
export function affinityScore(stats: AgentTypeStats | undefined, fastestLatencyMs: number | null, load: number): number {
  const samples = stats ? Math.max(0, stats.completed) + Math.max(0, stats.failed) : 0;
  const rate = stats && Number.isFinite(stats.successRate) ? Math.min(1, Math.max(0, stats.successRate)) : NEUTRAL;
  const quality = (rate * samples + 1) / (samples + 2);
  const latency = stats?.latencyMs;
  const speed = fastestLatencyMs !== null && typeof latency === 'number' && latency >= 0 ? fastestLatencyMs / Math.max(1, latency) : NEUTRAL;
  return quality + AFFINITY_WEIGHTS.latency * Math.min(1, speed) - AFFINITY_WEIGHTS.load * load;
}

/**
 * Relative load, then absolute, then id. Compared by cross-multiplication: integer arithmetic,
 * so 2/4 and 1/2 tie exactly and the id decides.
 */
function compareLoad(a: Candidate, b: Candidate): number {
  return a.used * b.agent.maxConcurrency - b.used * a.agent.maxConcurrency || a.used - b.used || compareText(a.agent.id, b.agent.id);
}

function best(open: Candidate[], compare: (a: Candidate, b: Candidate) => number): Candidate {
  return open.reduce((winner, c) => (compare(c, winner) < 0 ? c : winner));
}

/** Agents are sorted by id, so the rotation is the same whatever order the snapshot listed them. */
function firstFromCursor(sorted: Candidate[], cursor: number, open: ReadonlySet<Candidate>): Candidate {
  for (let step = 0; step < sorted.length; step++) {
    const c = sorted[(cursor + step) % sorted.length];
    if (open.has(c)) return c;
  }
  throw new Error('firstFromCursor called without an open candidate');
}

/**
 * A blocked task's agents are all full, and room only shrinks within a plan, so with today's
 * room rule nothing could land on them anyway; the reservation makes strict priority explicit
 * and keeps it if room ever depends on the task (e.g. per-task slot weights).
 */
function reserve(agents: Candidate[], priority: number): void {
  for (const c of agents) c.reservedFor = Math.max(c.reservedFor ?? priority, priority);
}

/** Shown to users as wait_reason: names what is missing, not just "no agent". */
function whyNoAgent(required: string[], candidates: Candidate[]): string {
  if (candidates.length === 0) return 'no connected agent in the swarm';
  const capable = candidates.filter((c) => required.every((cap) => c.capabilities.has(cap)));
  if (capable.length > 0) {
    return required.length === 0
      ? 'every connected agent has max_concurrency 0'
      : `every connected agent with capabilities [${required.join(', ')}] has max_concurrency 0`;
  }
  const missing = required.filter((cap) => !candidates.some((c) => c.capabilities.has(cap)));
  return missing.length > 0
    ? `no connected agent has capabilities [${missing.join(', ')}]`
    : `no single connected agent has all of [${required.join(', ')}]`;
}

function normaliseCursor(cursor: number, length: number): number {
  if (length === 0 || !Number.isFinite(cursor)) return 0;
  const whole = Math.trunc(cursor) % length;
  return whole < 0 ? whole + length : whole;
}

/** A task or agent listed twice (two reads of a moving queue) is still one: the first wins. */
function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(key(item))) return false;
    seen.add(key(item));
    return true;
  });
}

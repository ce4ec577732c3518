import { compareText } from './task-ordering';
import { BacklogEntry, DispatchAgent, Steal } from './task.types';

interface Thief {
  id: string;
  capabilities: ReadonlySet<string>;
  free: number;
}

interface Victim {
  id: string;
  /** Its backlog, head first; stolen entries stay in place and are skipped. */
  entries: BacklogEntry[];
  remaining: number;
  maxConcurrency: number;
}

/**
 * Idle agents take work planned for busy ones, so a slow agent's long backlog does not wait
 * while a fast agent sits idle.
 *
 * - thieves: agents with free slots and an empty backlog; each takes up to
 *   maxConcurrency - inFlight - planned tasks (planned is 0 for a real thief).
 * - backlogs: the other agents' backlog entries, each agent's in backlog order (head first),
 *   as they stand after every agent took from its own backlog: the head of a backlog whose
 *   owner has a free slot is the owner's to take, not a thief's.
 * - agents: the swarm's agents, for the victims' maxConcurrency.
 *
 * Thieves take one task per round in id order, so several idle agents share a victim instead
 * of the first one emptying it. Each steal comes from the victim under most pressure, its
 * remaining backlog / maxConcurrency (an agent not in `agents`, or with maxConcurrency <= 0,
 * cannot run its backlog at all: most pressure), among those holding a task the thief is
 * capable of; the first such task from that backlog's head. Ties: longer backlog, then id.
 * A task is stolen at most once, and never by its own agent. Deterministic.
 */
export function chooseSteals(thieves: DispatchAgent[], backlogs: BacklogEntry[], agents: DispatchAgent[]): Steal[] {
  const maxConcurrency = new Map(agents.map((a) => [a.id, a.maxConcurrency]));
  const victims = new Map<string, Victim>();
  const listed = new Set<string>();
  for (const entry of backlogs) {
    // A task listed twice (two reads of a moving backlog) is one task: only its first entry counts.
    if (listed.has(entry.task.id)) continue;
    listed.add(entry.task.id);
    let victim = victims.get(entry.agentId);
    if (!victim) {
      victim = { id: entry.agentId, entries: [], remaining: 0, maxConcurrency: maxConcurrency.get(entry.agentId) ?? 0 };
      victims.set(entry.agentId, victim);
    }
    victim.entries.push(entry);
    victim.remaining += 1;
  }

  const hungry: Thief[] = [...new Map(thieves.map((t) => [t.id, t])).values()]
    .sort((a, b) => compareText(a.id, b.id))
    .map((t) => ({ id: t.id, capabilities: new Set(t.capabilities), free: Math.max(0, t.maxConcurrency - t.inFlight - t.planned) }));

  const stolen = new Set<string>();
  const steals: Steal[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (const thief of hungry) {
      if (thief.free === 0) continue;
      const found = findSteal(thief, victims.values(), stolen);
      if (!found) {
        // Nothing it can run now; nothing will appear later in this call either.
        thief.free = 0;
        continue;
      }
      stolen.add(found.entry.task.id);
      found.victim.remaining -= 1;
      thief.free -= 1;
      steals.push({ taskId: found.entry.task.id, fromAgentId: found.victim.id, toAgentId: thief.id });
      progress = true;
    }
  }
  return steals;
}

function findSteal(thief: Thief, victims: Iterable<Victim>, stolen: ReadonlySet<string>): { victim: Victim; entry: BacklogEntry } | null {
  let found: { victim: Victim; entry: BacklogEntry } | null = null;
  for (const victim of victims) {
    if (victim.id === thief.id || victim.remaining === 0) continue;
    if (found && compareVictims(victim, found.victim) >= 0) continue;
    const entry = victim.entries.find((e) => !stolen.has(e.task.id) && canRun(thief, e));
    if (entry) found = { victim, entry };
  }
  return found;
}

/** Most pressure first; see chooseSteals. */
function compareVictims(a: Victim, b: Victim): number {
  return pressure(b) - pressure(a) || b.remaining - a.remaining || compareText(a.id, b.id);
}

function pressure(victim: Victim): number {
  return victim.maxConcurrency > 0 ? victim.remaining / victim.maxConcurrency : Number.POSITIVE_INFINITY;
}

function canRun(thief: Thief, entry: BacklogEntry): boolean {
  return entry.task.requiredCapabilities.every((cap) => thief.capabilities.has(cap));
}

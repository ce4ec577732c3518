import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { CommittedAssignment, TaskTransitions } from '@swarm/db';
import {
  AgentTypeStats,
  BacklogEntry,
  chooseSteals,
  DispatchAgent,
  DispatchTask,
  planTasks,
} from '@swarm/domain';
import { AgentSocketCommands, ClaimRequest, Claimed, PlacementMove, QueuedTaskMeta, queueScore, TaskDispatchStore } from '@swarm/messaging';
import { DISPATCH_STAGES, Metrics } from '@swarm/observability';
import { SwarmRosterCache } from './swarm-roster';

/** At most this many ready tasks per requirement class are looked at by one cycle. */
const PEEK_PER_CLASS = 1_000;
/** Enough to fill every slot and backlog place; reading more would only cost time. */
const peekFor = (roster: { agents: Array<{ maxConcurrency: number }> }) =>
  Math.min(PEEK_PER_CLASS, Math.max(16, 2 * roster.agents.reduce((sum, a) => sum + a.maxConcurrency, 0)));
/** Agent statuses that may receive work (activated by the health monitor, not failed). */
const WORKING_STATUSES = new Set(['starting', 'idle', 'busy']);

export interface CycleOutcome {
  /** Attempts claimed in Redis (Postgres may still refuse some: see `committed`). */
  assigned: number;
  /** More ready work than one cycle looked at: run again at once. */
  more: boolean;
  /**
   * The cycle's second half — the Postgres commit and the push to agents — still running. The
   * next cycle for the swarm need not wait for it: the claims already count in Redis, and
   * consecutive cycles commit disjoint tasks.
   */
  committed: Promise<void>;
}

const NOTHING: Promise<void> = Promise.resolve();

/**
 * One distributor pass over one swarm (docs/TASKS.md): snapshot, plan with the swarm's
 * algorithm, fill free slots (own backlog first, then stealing), claim in Redis, commit in
 * Postgres, push to agents. Safe to run concurrently for the same swarm (each claim is atomic
 * and Postgres accepts each task's assignment once), merely wasteful.
 */
@Injectable()
export class DispatchCycle {
  private readonly logger = new Logger(DispatchCycle.name);
  /** Last wait reason written per task, so an unchanged reason is not written every cycle. */
  private readonly writtenReasons = new Map<string, string>();
  private readonly stage;

  constructor(
    private readonly rosters: SwarmRosterCache,
    private readonly store: TaskDispatchStore,
    private readonly transitions: TaskTransitions,
    private readonly sockets: AgentSocketCommands,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const stage = (name: (typeof DISPATCH_STAGES)[number]) => metrics.taskDispatchStage.labels({ stage: name });
    this.stage = { pickup: stage('pickup'), snapshot: stage('snapshot'), plan: stage('plan'), claim: stage('claim'), commit: stage('commit') };
  }

  async run(swarmId: string): Promise<CycleOutcome> {
    const started = performance.now();
    const stopTimer = this.metrics.dispatchCycle.startTimer();
    let outcome: CycleOutcome | undefined;
    try {
      outcome = await this.runOnce(swarmId);
      return outcome;
    } finally {
      const done = (): void => {
        stopTimer();
        this.logger.debug({ swarmId, assigned: outcome?.assigned ?? 0, ms: Math.round((performance.now() - started) * 10) / 10 }, 'dispatch cycle');
      };
      if (outcome) void outcome.committed.then(done, done);
      else done();
    }
  }

  private async runOnce(swarmId: string): Promise<CycleOutcome> {
    const cached = this.rosters.cached(swarmId);
    // Signals without work (agents activated, capacity freed in an idle swarm) need no roster:
    // reading a large swarm's members at every such signal starved a mass connect's activations.
    if (!cached && !(await this.store.hasQueuedWork(swarmId))) return { assigned: 0, more: false, committed: NOTHING };
    const { roster, version } = cached ?? (await this.rosters.load(swarmId));
    if (!roster || roster.status === 'terminated') return { assigned: 0, more: false, committed: NOTHING };
    const peek = peekFor(roster);
    const cycleStartedAt = Date.now();
    const snapshotStarted = performance.now();
    const snapshot = await this.store.snapshot(swarmId, roster.agents, peek);
    const planStarted = performance.now();
    if (snapshot.rosterVersion !== version) {
      // Who may take work changed since the roster was read: read it again and start over.
      this.rosters.invalidate(swarmId);
      return { assigned: 0, more: true, committed: NOTHING };
    }

    const agents: DispatchAgent[] = [];
    const maxOf = new Map<string, number>();
    for (const live of snapshot.agents) {
      const member = roster.byId.get(live.agentId)!;
      const eligible = live.connected && WORKING_STATUSES.has(member.status);
      if (!eligible) {
        // Planned work of an agent that cannot take it goes back for the others.
        if (live.backlog.length > 0) await this.store.returnBacklogs(live.agentId, [swarmId]);
        continue;
      }
      maxOf.set(live.agentId, member.maxConcurrency);
      agents.push({ id: live.agentId, capabilities: member.capabilities, maxConcurrency: member.maxConcurrency, inFlight: live.inFlight, planned: live.backlog.length });
    }

    const taskOf = (id: string): DispatchTask | null => {
      const meta = snapshot.meta.get(id);
      return meta ? toDispatchTask(id, meta) : null;
    };
    const ready: DispatchTask[] = [];
    let more = false;
    for (const ids of snapshot.ready.values()) {
      // Only a read cut by the peek (not by the agents' room) leaves work a new cycle could place now.
      if (snapshot.readLimit === peek && ids.length >= peek) more = true;
      for (const id of ids) {
        const task = taskOf(id);
        if (task) ready.push(task);
      }
    }

    const stats = roster.algorithm === 'affinity' ? await this.rosters.stats(swarmId, agents.map((a) => a.id)) : new Map<string, Map<string, AgentTypeStats>>();
    const plan = planTasks(ready, agents, { algorithm: roster.algorithm, roundRobinCursor: snapshot.roundRobinCursor, stats });
    await this.recordWaitReasons(plan.waiting, plan.placements.map((p) => p.taskId));

    // Backlogs as they will be after the placements, head first.
    const backlogs = new Map<string, DispatchTask[]>();
    for (const live of snapshot.agents) {
      if (!maxOf.has(live.agentId)) continue;
      backlogs.set(live.agentId, live.backlog.map(taskOf).filter((t): t is DispatchTask => t !== null));
    }
    const readyById = new Map(ready.map((t) => [t.id, t]));
    const placements: PlacementMove[] = plan.placements.map((p) => {
      const task = readyById.get(p.taskId)!;
      backlogs.get(p.agentId)!.push(task);
      return { taskId: task.id, agentId: p.agentId, requirementClass: snapshot.meta.get(task.id)!.requirementClass, score: queueScore(task.priority, task.queuedAt) };
    });
    for (const list of backlogs.values()) list.sort((a, b) => queueScore(a.priority, a.queuedAt) - queueScore(b.priority, b.queuedAt));

    // Fill free slots from the agent's own backlog; whoever still has room steals.
    const claims: ClaimRequest[] = [];
    const taken = new Set<string>();
    const thieves: DispatchAgent[] = [];
    for (const agent of agents) {
      let free = agent.maxConcurrency - agent.inFlight;
      const own = backlogs.get(agent.id)!;
      while (free > 0 && own.length > 0) {
        const task = own.shift()!;
        claims.push({ taskId: task.id, agentId: agent.id, source: { kind: 'backlog', agentId: agent.id }, maxConcurrency: agent.maxConcurrency });
        taken.add(task.id);
        free--;
      }
      if (free > 0) thieves.push({ ...agent, inFlight: agent.maxConcurrency - free, planned: 0 });
    }
    if (thieves.length > 0) {
      const entries: BacklogEntry[] = [];
      for (const [agentId, list] of backlogs) for (const task of list) if (!taken.has(task.id)) entries.push({ task, agentId });
      if (entries.length > 0) {
        for (const steal of chooseSteals(thieves, entries, agents)) {
          claims.push({ taskId: steal.taskId, agentId: steal.toAgentId, source: { kind: 'backlog', agentId: steal.fromAgentId }, maxConcurrency: maxOf.get(steal.toAgentId)! });
          this.metrics.tasksStolen.inc();
        }
      }
    }
    if (placements.length === 0 && claims.length === 0) return { assigned: 0, more: false, committed: NOTHING };

    const claimStarted = performance.now();
    const claimed = await this.store.placeAndClaim(swarmId, plan.roundRobinCursor, placements, claims);
    if (claimed.length === 0) return { assigned: 0, more: false, committed: NOTHING };
    this.stage.snapshot.observe((planStarted - snapshotStarted) / 1000);
    this.stage.plan.observe((claimStarted - planStarted) / 1000);
    this.stage.claim.observe((performance.now() - claimStarted) / 1000);
    for (const c of claimed) this.stage.pickup.observe(Math.max(0, cycleStartedAt - c.meta.queuedAt) / 1000);
    return { assigned: claimed.length, more, committed: this.commit(swarmId, claimed) };
  }

  /** Postgres first, then the agents: an attempt is only ever sent once Postgres has it. */
  private async commit(swarmId: string, claimed: Claimed[]): Promise<void> {
    let committed: CommittedAssignment[];
    const commitStarted = performance.now();
    try {
      committed = await this.transitions.commitAssignments(claimed, this.config.tasks.ackTimeoutMs);
      this.stage.commit.observe((performance.now() - commitStarted) / 1000);
    } catch (error) {
      // Postgres refused the batch (down, or a bug): give the claims back so nothing waits for nothing.
      this.logger.error({ err: error, swarmId, claims: claimed.length }, 'could not commit assignments; claims returned to the queue');
      await this.store.releaseInFlight(claimed.map((c) => ({ agentId: c.agentId, taskId: c.taskId, fencingToken: c.fencingToken })));
      await this.store.enqueue(swarmId, claimed.map((c) => ({ taskId: c.taskId, ...c.meta })));
      return;
    }
    if (committed.length < claimed.length) {
      // Cancelled or finished meanwhile (Postgres knows better than the Redis snapshot).
      const ok = new Set(committed.map((c) => c.taskId));
      const refused = claimed.filter((c) => !ok.has(c.taskId));
      await this.store.releaseInFlight(refused.map((c) => ({ agentId: c.agentId, taskId: c.taskId, fencingToken: c.fencingToken })));
      this.logger.debug({ swarmId, refused: refused.length }, 'claims refused by Postgres');
    }
    const now = Date.now();
    const delivery = this.sockets.assignTasks(
      committed.map((a) => ({
        agentId: a.agentId,
        task: {
          task_id: a.taskId,
          swarm_id: a.swarmId,
          task_type: a.taskType,
          payload: a.payload,
          priority: a.priority,
          attempt: a.attempt,
          max_attempts: a.maxAttempts,
          fencing_token: a.fencingToken.toString(),
          timeout_ms: a.timeoutMs,
          ack_deadline: a.deadlineAt.getTime(),
        },
      })),
    );
    // Not awaited: nothing waits for Redis's reply. Committed either way: an attempt that never
    // reaches its agent is not acknowledged and goes to another agent at its ack deadline.
    void delivery.catch((error: unknown) => this.logger.warn({ err: error, swarmId, tasks: committed.length }, 'could not publish assignments; their ack deadlines will reassign them'));
    for (const a of committed) {
      this.writtenReasons.delete(a.taskId);
      this.metrics.taskAssignment.observe(Math.max(0, now - a.queuedAt.getTime()) / 1000);
    }
  }

  private async recordWaitReasons(waiting: Array<{ taskId: string; reason: string }>, placed: string[]): Promise<void> {
    const changes: Array<{ taskId: string; reason: string | null }> = [];
    for (const w of waiting) {
      if (this.writtenReasons.get(w.taskId) === w.reason) continue;
      this.writtenReasons.set(w.taskId, w.reason);
      changes.push({ taskId: w.taskId, reason: w.reason });
    }
    for (const id of placed) {
      if (this.writtenReasons.delete(id)) changes.push({ taskId: id, reason: null });
    }
    if (this.writtenReasons.size > 100_000) this.writtenReasons.clear();
    if (changes.length > 0) await this.transitions.setWaitReasons(changes);
  }
}

function toDispatchTask(id: string, meta: QueuedTaskMeta): DispatchTask {
  return { id, taskType: meta.taskType, priority: meta.priority, requiredCapabilities: meta.requiredCapabilities, queuedAt: meta.queuedAt };
}


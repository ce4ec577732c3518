import { Injectable, Logger } from '@nestjs/common';
import { FamilyStep, FinishedTask, LockedInFlight, QueueableTask, RawSql, TaskTransitions } from '@swarm/db';
import { AttemptEnding } from '@swarm/db';
import {
  agentCapability,
  decideAfterFailure,
  decideReplicas,
  evaluateDependencies,
  nextPipelineAgent,
  normaliseCapabilities,
  pinnedAgentOf,
  PipelineSpec,
  RedundancySpec,
  requirementClass,
  retryDelayMs,
} from '@swarm/domain';
import { v7 as uuidv7 } from 'uuid';
import { AgentSocketCommands, InFlightEntry, SwarmEventBroadcaster, TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import type { SubtaskFinishedPayload } from '@swarm/contracts';
import { LeaderVerificationFlow } from './leader-verification-flow';

/** How fast an agent's per task-type averages follow new outcomes (weight of the newest one). */
export const STATS_SMOOTHING = 0.2;

export type AttemptOutcome = 'completed' | 'failed' | 'timed_out';

const FINAL_STAGE: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

/**
 * What a transaction changed that Redis, agents and operators must hear about. Collected while
 * the transaction runs and applied only after it commits, so nothing outside Postgres ever
 * reflects a rolled-back change. Every effect is idempotent: applying it twice (a redelivered
 * report after a crash) does no harm.
 */
export class TaskEffects {
  readonly releaseInFlight: InFlightEntry[] = [];
  readonly queue: QueueableTask[] = [];
  readonly forget = new Map<string, string[]>();
  readonly cancelNotices: Array<{ agentId: string; taskId: string; fencingToken: bigint; reason: string }> = [];
  readonly finished: FinishedTask[] = [];
  readonly retried: Array<{ task: QueueableTask; ownerId: string; agentId: string | null; error: string }> = [];
  readonly attempts: Array<{ agentId: string; taskType: string; outcome: AttemptOutcome; executionMs: number | null }> = [];
  readonly signal = new Set<string>();
  /** Delegated subtasks that finished, for the agents that delegated them. */
  readonly subtaskNotices: Array<{ agentId: string; payload: SubtaskFinishedPayload }> = [];
  events: Array<{ id: bigint; swarmId: string; type: string; agentId: string | null; taskId: string; data: Record<string, unknown>; createdAt: Date }> = [];

  forgetTask(swarmId: string, taskId: string): void {
    this.forget.set(swarmId, [...(this.forget.get(swarmId) ?? []), taskId]);
  }
}

export interface FailureInput {
  task: LockedInFlight;
  error: string;
  retryable: boolean;
  /** timed_out: the attempt ran out of time; the task ends timed_out when out of attempts. */
  kind: 'failed' | 'timed_out';
  /** Agent lost: retry at once, no backoff (the failure was the agent's, not the task's). */
  immediate?: boolean;
}

/**
 * The shared tail of every transition that ends attempts or finishes tasks (results,
 * failures, timeouts, lost agents, cancellation): retry decisions, dependants, per-agent
 * stats, events — and, after commit, the Redis and socket side.
 */
@Injectable()
export class TaskSettlement {
  private readonly logger = new Logger(TaskSettlement.name);

  constructor(
    private readonly transitions: TaskTransitions,
    private readonly dispatch: TaskDispatchStore,
    private readonly sockets: AgentSocketCommands,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly metrics: Metrics,
    private readonly verifications: LeaderVerificationFlow,
  ) {}

  /** Ends in-flight attempts with a failure: retried with backoff, or final. */
  async failAttempts(tx: RawSql, failures: FailureInput[], effects: TaskEffects, now = Date.now()): Promise<void> {
    if (failures.length === 0) return;
    const endings: AttemptEnding[] = failures.map((f) => {
      const decision = decideAfterFailure({ attemptCount: f.task.attemptCount, maxAttempts: f.task.maxAttempts, retryable: f.retryable });
      const ending: AttemptEnding = { task: f.task, attemptStatus: f.kind, error: f.error, retryable: f.retryable };
      if (decision.retry) ending.retryAt = new Date(f.immediate ? now : now + retryDelayMs(f.task.attemptCount));
      else {
        ending.finalStatus = f.kind;
        ending.error = `${f.error} (${decision.reason})`;
      }
      return ending;
    });
    const { retried, finished } = await this.transitions.endAttempts(tx, endings);
    const byId = new Map(failures.map((f) => [f.task.id, f]));
    for (const task of retried) {
      const failure = byId.get(task.id)!;
      effects.queue.push(task);
      effects.retried.push({ task, ownerId: failure.task.ownerId, agentId: failure.task.agentId, error: failure.error });
    }
    for (const failure of failures) {
      const t = failure.task;
      if (t.agentId) {
        effects.releaseInFlight.push({ agentId: t.agentId, taskId: t.id, fencingToken: t.fencingToken });
        effects.attempts.push({ agentId: t.agentId, taskType: t.taskType, outcome: failure.kind, executionMs: null });
      }
      effects.signal.add(t.swarmId);
    }
    await this.finish(tx, finished, effects);
  }

  /**
   * Tasks that just became final: dependants settled (released or failed in turn), stats and
   * events recorded. Retried tasks in `effects` get their events here too.
   */
  async finish(tx: RawSql, finished: FinishedTask[], effects: TaskEffects, options: { completionStatsRecorded?: boolean } = {}): Promise<void> {
    const settled = finished.length > 0 ? await this.transitions.settleDependants(tx, finished.map((f) => f.id), evaluateDependencies) : { released: [], failed: [] };
    effects.finished.push(...finished, ...settled.failed);
    effects.queue.push(...settled.released);
    for (const task of [...finished, ...settled.failed]) {
      effects.forgetTask(task.swarmId, task.id);
      effects.signal.add(task.swarmId);
      if (task.status === 'completed' && task.agentId && !options.completionStatsRecorded) {
        const executionMs = task.startedAt ? task.completedAt.getTime() - task.startedAt.getTime() : null;
        effects.attempts.push({ agentId: task.agentId, taskType: task.taskType, outcome: 'completed', executionMs });
      }
    }
    await this.recordStats(tx, effects);
    // Completions are not stored as events: at thousands per second they would drown the
    // swarm's history (they are in tasks and the metrics). Failures, timeouts, cancels and
    // retries are.
    const events = [
      ...[...finished, ...settled.failed].filter((t) => t.status !== 'completed').map((t) => ({
        swarmId: t.swarmId,
        ownerId: t.ownerId,
        type: `task_${t.status}`,
        agentId: t.agentId,
        taskId: t.id,
        data: t.error ? { task_type: t.taskType, error: t.error } : { task_type: t.taskType },
      })),
      ...effects.retried.map((r) => ({
        swarmId: r.task.swarmId,
        ownerId: r.ownerId,
        type: 'task_retried',
        agentId: r.agentId,
        taskId: r.task.id,
        data: { task_type: r.task.taskType, error: r.error, retry_at: (r.task.availableAt ?? r.task.queuedAt).toISOString() },
      })),
    ];
    const stored = await this.transitions.appendTaskEvents(tx, events);
    effects.events = events.map((e, i) => ({ ...e, id: stored[i].id, createdAt: stored[i].created_at }));

    // Redundant executions: parents decided by their replicas' results, replicas no longer needed.
    const followUps = await this.settleFamilies(tx, [...finished, ...settled.failed], effects);
    if (followUps.length > 0) {
      const earlier = effects.events;
      await this.finish(tx, followUps, effects);
      effects.events = [...earlier, ...effects.events];
    }
  }

  /** Parents of child tasks that just finished: delegators told, redundant parents decided, pipelines and leader-elected tasks advanced. */
  private async settleParents(tx: RawSql, finalIds: string[], effects: TaskEffects): Promise<FinishedTask[]> {
    const made: FinishedTask[] = [];
    for (const done of await this.transitions.delegatorsOf(tx, finalIds)) {
      effects.subtaskNotices.push({
        agentId: done.delegatorId,
        payload: { parent_task_id: done.parentId, task_id: done.taskId, agent_id: pinnedAgentOf(done.requiredCapabilities), status: done.status, result: done.result ?? null, error: done.error },
      });
    }
    const parents = await this.transitions.lockUndecidedParents(tx, finalIds);
    if (parents.length > 0) {
      const replicas = await this.transitions.replicasOf(tx, parents.map((p) => p.id));
      for (const parent of parents) {
        const spec = parent.redundancy as RedundancySpec;
        const own = replicas.filter((r) => r.parentId === parent.id);
        const states = own.map((r) => ({ taskId: r.id, agentId: pinnedAgentOf(r.requiredCapabilities) ?? '', status: r.status, result: r.result, error: r.error }));
        const rates = spec.algorithm === 'weighted' ? await this.transitions.successRates(tx, parent.taskType, states.map((r) => r.agentId)) : undefined;
        const decision = decideReplicas(spec, states, rates);
        if (decision.state === 'pending') continue;
        const decided = await this.transitions.decideParent(tx, parent.id, {
          status: decision.state,
          result: decision.state === 'completed' ? decision.result : null,
          error: decision.state === 'failed' ? decision.error : null,
          consensus: decision.record,
        });
        if (decided) made.push(decided);
        this.logger.log({ taskId: parent.id, outcome: decision.state, confidence: decision.record.confidence }, 'redundant task decided');
      }
    }
    // Parents the engine runs child by child, both kinds read (and locked) at once.
    const steps = await this.transitions.lockRunningFamilies(tx, finalIds);
    made.push(...(await this.advancePipelines(tx, steps.filter((s) => s.kind === 'pipeline'), effects)));
    made.push(...(await this.verifications.advance(tx, steps.filter((s) => s.kind === 'verification'), effects)));
    return made;
  }

  /**
   * A pipeline stage just finished: its output goes to the next live member round the ring, or,
   * once every member has had it, becomes the pipeline's result. A stage that failed for good
   * fails the pipeline.
   */
  private async advancePipelines(tx: RawSql, steps: FamilyStep[], effects: TaskEffects): Promise<FinishedTask[]> {
    const made: FinishedTask[] = [];
    for (const step of steps) {
      const spec = step.spec as PipelineSpec;
      const stage = spec.stages.find((s) => s.task_id === step.childId);
      if (!stage || FINAL_STAGE.has(stage.status)) continue;
      stage.status = step.childStatus;
      if (step.childStatus !== 'completed') {
        const failed = await this.transitions.finishFamily(tx, step.id, 'pipeline', {
          status: 'failed',
          result: null,
          error: `pipeline stage ${spec.stages.length} on agent ${stage.agent_id} ended ${step.childStatus}${step.childError ? `: ${step.childError}` : ''}`,
          spec,
        });
        if (failed) made.push(failed);
        continue;
      }
      const live = new Set(await this.transitions.liveCapableMembers(tx, step.swarmId, step.requiredCapabilities));
      const next = nextPipelineAgent(spec, (id) => live.has(id));
      if (next === null) {
        const done = await this.transitions.finishFamily(tx, step.id, 'pipeline', { status: 'completed', result: step.childResult, error: null, spec });
        if (done) made.push(done);
        continue;
      }
      const queued = await this.transitions.insertChildTask(tx, step, {
        id: uuidv7(),
        payload: step.childResult,
        requiredCapabilities: normaliseCapabilities([...step.requiredCapabilities, agentCapability(next)]),
      });
      spec.stages.push({ agent_id: next, task_id: queued.id, status: 'queued' });
      await this.transitions.updateFamilySpec(tx, step.id, 'pipeline', spec);
      effects.queue.push(queued);
      effects.signal.add(step.swarmId);
    }
    return made;
  }

  /**
   * Tasks that just became final, as children and as parents. A finished child: its delegator
   * is told, its redundant parent decided once the vote can no longer change, its pipeline moved
   * on (a parent made final then finishes like any task, dependants included). A final parent
   * (decided, or cancelled by its owner): its children still open are cancelled. Returns the
   * tasks this made final.
   */
  private async settleFamilies(tx: RawSql, final: FinishedTask[], effects: TaskEffects): Promise<FinishedTask[]> {
    if (final.length === 0) return [];
    const finalIds = final.map((t) => t.id);
    const made: FinishedTask[] = [];
    // One cheap look first: the parent lookups only matter for child tasks, and most are not.
    if (await this.transitions.anyChild(tx, finalIds)) made.push(...(await this.settleParents(tx, finalIds, effects)));
    // Parents final now (decided above, or finished in this call): their open children stop.
    const finalParents = [...made, ...final].map((t) => t.id);
    const open = await this.transitions.openReplicasOf(tx, finalParents);
    const byOwner = new Map<string, string[]>();
    for (const replica of open) byOwner.set(replica.ownerId, [...(byOwner.get(replica.ownerId) ?? []), replica.id]);
    for (const [ownerId, ids] of byOwner) {
      const reason = 'not needed any more: its parent task is final';
      const cancelled = await this.transitions.cancel(tx, ownerId, ids, reason);
      for (const task of cancelled) {
        if (task.agentId && task.fencingToken !== null) {
          effects.cancelNotices.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken, reason });
          effects.releaseInFlight.push({ agentId: task.agentId, taskId: task.id, fencingToken: task.fencingToken });
        }
      }
      made.push(...cancelled);
    }
    return made;
  }

  private async recordStats(tx: RawSql, effects: TaskEffects): Promise<void> {
    const grouped = new Map<string, { agentId: string; taskType: string; completed: number; failed: number; timedOut: number; executionMs: number; latencies: number[] }>();
    for (const a of effects.attempts.splice(0)) {
      const key = `${a.agentId}|${a.taskType}`;
      const g = grouped.get(key) ?? { agentId: a.agentId, taskType: a.taskType, completed: 0, failed: 0, timedOut: 0, executionMs: 0, latencies: [] };
      if (a.outcome === 'completed') {
        g.completed += 1;
        if (a.executionMs !== null) {
          g.executionMs += a.executionMs;
          g.latencies.push(a.executionMs);
        }
      } else if (a.outcome === 'failed') g.failed += 1;
      else g.timedOut += 1;
      grouped.set(key, g);
    }
    // Sorted: concurrent transactions then lock the same stats rows in the same order (no deadlock).
    const ordered = [...grouped.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
    await this.transitions.recordAgentStats(
      tx,
      ordered.map((g) => ({
        agentId: g.agentId,
        taskType: g.taskType,
        completed: g.completed,
        failed: g.failed,
        timedOut: g.timedOut,
        executionMs: g.executionMs,
        meanLatencyMs: g.latencies.length > 0 ? g.latencies.reduce((a, b) => a + b, 0) / g.latencies.length : null,
      })),
      STATS_SMOOTHING,
    );
  }

  /**
   * Tasks completed by a statement that also recorded their stats (applyAcksAndResults): only
   * those with dependants need a transaction, to settle them.
   */
  async completed(completed: Array<FinishedTask & { hasDependants: boolean }>, effects: TaskEffects, inTransaction: <T>(work: (tx: RawSql) => Promise<T>) => Promise<T>): Promise<void> {
    const withDependants: FinishedTask[] = [];
    for (const task of completed) {
      if (task.hasDependants) {
        withDependants.push(task);
        continue;
      }
      // Nothing to forget in Redis: a claim already removed the task's meta, and a completed
      // attempt was never in the delayed set.
      effects.finished.push(task);
      effects.signal.add(task.swarmId);
    }
    if (withDependants.length > 0) await inTransaction((tx) => this.finish(tx, withDependants, effects, { completionStatsRecorded: true }));
  }

  /**
   * After commit: Redis, agents, operators, Prometheus. The Redis commands are issued together
   * (one auto-pipelined round trip, executed in the order issued: slots are released before the
   * swarm is signalled) rather than one awaited after the other.
   */
  async apply(effects: TaskEffects): Promise<void> {
    const now = Date.now();
    const redis: Array<Promise<unknown>> = [this.dispatch.releaseInFlight(effects.releaseInFlight)];
    for (const [swarmId, ids] of effects.forget) redis.push(this.dispatch.forget(swarmId, ids));
    const bySwarm = new Map<string, QueueableTask[]>();
    for (const task of effects.queue) bySwarm.set(task.swarmId, [...(bySwarm.get(task.swarmId) ?? []), task]);
    for (const [swarmId, tasks] of bySwarm) {
      const entry = (t: QueueableTask) => ({
        taskId: t.id,
        taskType: t.taskType,
        priority: t.priority,
        requiredCapabilities: t.requiredCapabilities,
        requirementClass: requirementClass(t.requiredCapabilities),
        queuedAt: t.queuedAt.getTime(),
      });
      const later = tasks.filter((t) => t.availableAt && t.availableAt.getTime() > now);
      const ready = tasks.filter((t) => !later.includes(t));
      if (ready.length > 0) redis.push(this.dispatch.enqueue(swarmId, ready.map(entry), now));
      if (later.length > 0) redis.push(this.dispatch.delay(swarmId, later.map((t) => ({ ...entry(t), availableAt: t.availableAt!.getTime() }))));
    }
    // Issued after the enqueues above: tasks this batch queued count as waiting (they signal on their own too).
    redis.push(this.dispatch.signalIfWaiting(effects.signal, now));
    await Promise.all(redis);
    for (const notice of effects.cancelNotices) {
      this.sockets.cancelTask(notice.agentId, { task_id: notice.taskId, fencing_token: notice.fencingToken.toString(), reason: notice.reason });
    }
    for (const notice of effects.subtaskNotices) this.sockets.subtaskFinished(notice.agentId, notice.payload);
    this.broadcaster.broadcast(effects.events);
    for (const task of effects.finished) {
      this.metrics.tasksFinished.inc({ outcome: task.status });
      if (task.status === 'completed') {
        const completed = task.completedAt.getTime();
        if (task.assignedAt && task.queuedAt) this.metrics.taskQueueWait.observe(Math.max(0, task.assignedAt.getTime() - task.queuedAt.getTime()) / 1000);
        if (task.startedAt) this.metrics.taskExecution.observe(Math.max(0, completed - task.startedAt.getTime()) / 1000);
        this.metrics.taskEndToEnd.observe(Math.max(0, completed - task.createdAt.getTime()) / 1000);
      }
    }
    if (effects.retried.length > 0) this.metrics.taskRetries.inc(effects.retried.length);
  }
}

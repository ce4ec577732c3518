import { Inject, Injectable, Logger } from '@nestjs/common';
import { PrismaService, QueueableTask, TaskTransitions } from '@swarm/db';
import { evaluateDependencies } from '@swarm/domain';
import { REDIS_KEYS, RedisKeys, RedisService, TaskDispatchStore } from '@swarm/messaging';
import { TaskEffects, TaskSettlement } from '@swarm/task-engine';

/** Younger queued tasks may be mid-way between Postgres and Redis: leave them alone. */
const QUEUED_GRACE_MS = 5_000;
const BATCH = 5_000;

export interface ReconcileCounts {
  requeued: number;
  released: number;
  droppedInFlight: number;
}

/**
 * Postgres is the truth; Redis is rebuilt from it where they disagree: queued tasks Redis lost
 * (a crash between commit and enqueue, a Redis restart) are queued again — once seen missing
 * twice, since a task being claimed is missing from the queue for a moment; pending tasks whose
 * prerequisites are all final are settled; in-flight slots Postgres does not confirm (a claim
 * whose commit never happened) are freed — only when seen twice in a row, because a claim is
 * legitimately unconfirmed for the few milliseconds before its commit.
 */
@Injectable()
export class TaskReconciler {
  private readonly logger = new Logger(TaskReconciler.name);
  private suspects = new Set<string>();
  private missingQueued = new Set<string>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly transitions: TaskTransitions,
    private readonly settlement: TaskSettlement,
    private readonly store: TaskDispatchStore,
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {}

  async reconcile(now = Date.now()): Promise<ReconcileCounts> {
    const counts = { requeued: await this.requeueLost(now), released: await this.releaseSettledDependants(), droppedInFlight: await this.dropUnconfirmedInFlight() };
    // A safety net for lost signals: every swarm with queued work gets a distributor cycle.
    await this.store.signal(await this.transitions.swarmsWithQueuedTasks());
    if (counts.requeued + counts.released + counts.droppedInFlight > 0) this.logger.warn(counts, 'reconciler repaired task state');
    return counts;
  }

  private async requeueLost(now: number): Promise<number> {
    const queued = await this.transitions.queuedBefore(new Date(now - QUEUED_GRACE_MS), BATCH);
    const bySwarm = new Map<string, QueueableTask[]>();
    for (const task of queued) bySwarm.set(task.swarmId, [...(bySwarm.get(task.swarmId) ?? []), task]);
    const effects = new TaskEffects();
    const missing = new Set<string>();
    for (const [swarmId, tasks] of bySwarm) {
      const known = await this.store.knownQueued(swarmId, tasks.map((t) => t.id));
      for (const task of tasks) {
        if (known.has(task.id)) continue;
        // A task being claimed is briefly in neither place: only one missing twice in a row
        // (same queued_at, a reconcile period apart) was really lost.
        const key = `${task.id}@${task.queuedAt.getTime()}`;
        missing.add(key);
        if (this.missingQueued.has(key)) effects.queue.push(task);
      }
    }
    this.missingQueued = missing;
    await this.settlement.apply(effects);
    return effects.queue.length;
  }

  private async releaseSettledDependants(): Promise<number> {
    const stuck = await this.transitions.pendingWithFinalPrerequisites(BATCH);
    if (stuck.length === 0) return 0;
    const effects = new TaskEffects();
    await this.prisma.$transaction(async (tx) => {
      // Settling "the prerequisites of these" is what a finishing prerequisite would have done.
      const prerequisites = await tx.taskDependency.findMany({ where: { taskId: { in: stuck } }, select: { dependsOnTaskId: true } });
      const ids = [...new Set(prerequisites.map((p) => p.dependsOnTaskId))];
      const settled = await this.transitions.settleDependants(tx, ids, evaluateDependencies);
      effects.queue.push(...settled.released);
      await this.settlement.finish(tx, settled.failed, effects);
    });
    await this.settlement.apply(effects);
    return stuck.length;
  }

  private async dropUnconfirmedInFlight(): Promise<number> {
    const entries: Array<{ agentId: string; taskId: string; fencingToken: string }> = [];
    const pattern = this.keys.agentInFlight('*');
    let cursor = '0';
    do {
      const [next, found] = await this.redis.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of found) {
        const agentId = key.slice(this.keys.agentInFlight('').length - ':inflight'.length, -':inflight'.length);
        for (const e of await this.store.inFlightOf(agentId)) entries.push({ agentId, taskId: e.taskId, fencingToken: String(e.fencingToken) });
      }
    } while (cursor !== '0');
    const confirmed = await this.transitions.inFlightConfirmed(entries);
    const unconfirmed = entries.filter((e) => !confirmed.has(`${e.taskId}:${e.fencingToken}`));
    const keyOf = (e: { agentId: string; taskId: string; fencingToken: string }) => `${e.agentId}|${e.taskId}|${e.fencingToken}`;
    const drop = unconfirmed.filter((e) => this.suspects.has(keyOf(e)));
    this.suspects = new Set(unconfirmed.map(keyOf));
    if (drop.length === 0) return 0;
    const released = await this.store.releaseInFlight(drop);
    await this.store.signal(await this.swarmsOf(drop.map((d) => d.taskId)));
    return released;
  }

  private async swarmsOf(taskIds: string[]): Promise<string[]> {
    const rows = await this.prisma.task.findMany({ where: { id: { in: taskIds } }, select: { swarmId: true } });
    return [...new Set(rows.map((r) => r.swarmId))];
  }
}

import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRICS_SERVICE_NAME = Symbol('METRICS_SERVICE_NAME');

/** Task latency histograms: 1 ms to 60 s. */
export const TASK_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A distributor cycle is a few Redis and SQL round trips: 0.5 ms to 5 s. */
export const DISPATCH_CYCLE_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Stages of the way from a submission to an assignment (label `stage`), in path order. */
export const SUBMIT_STAGES = ['insert', 'enqueue'] as const;
export const DISPATCH_STAGES = ['pickup', 'snapshot', 'plan', 'claim', 'commit'] as const;
/** Values of the outcome label of swarm_tasks_finished_total. */
export const TASK_OUTCOMES = ['completed', 'failed', 'timed_out', 'cancelled'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/**
 * Prometheus metrics of one process (prom-client). Each process has its own registry, so
 * in-process tests with several apps do not collide; Prometheus sums over copies.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly heartbeatHandling = new Histogram({
    name: 'swarm_heartbeat_handling_seconds',
    help: 'Time the gateway spends on one agent heartbeat (validation + Redis write), until the ack',
    buckets: [0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });

  readonly connectedAgents = new Gauge({
    name: 'swarm_connected_agent_sockets',
    help: 'Agent sockets connected to this api copy',
    registers: [this.registry],
  });

  readonly socketEventsRefused = new Counter({
    name: 'swarm_socket_events_refused_total',
    help: 'Socket events refused by the per-socket rate limit',
    registers: [this.registry],
  });

  // --- Task engine (called by the distributor, the report processor and the api) -----------
  // No swarm label: label values must stay few (Prometheus keeps a series per combination);
  // per-swarm figures come from GET /swarms/:id/metrics, computed from Postgres.

  /** Tasks accepted by POST /swarms/:id/tasks (one per task of a batch). */
  readonly tasksSubmitted = new Counter({
    name: 'swarm_tasks_submitted_total',
    help: 'Tasks accepted for execution',
    registers: [this.registry],
  });

  /** A task reached a final status: `metrics.tasksFinished.inc({ outcome: 'completed' })`. */
  readonly tasksFinished = new Counter<'outcome'>({
    name: 'swarm_tasks_finished_total',
    help: 'Tasks that reached a final status, by outcome (completed, failed, timed_out, cancelled)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  /** A failed or timed-out attempt was followed by another attempt of the same task. */
  readonly taskRetries = new Counter({
    name: 'swarm_task_retries_total',
    help: 'Task attempts scheduled again after a failure or timeout',
    registers: [this.registry],
  });

  /** The distributor moved a planned task from one agent's backlog to an idle agent (work stealing). */
  readonly tasksStolen = new Counter({
    name: 'swarm_tasks_stolen_total',
    help: "Planned tasks taken from another agent's backlog by an idle agent (work stealing)",
    registers: [this.registry],
  });

  /** A report (ack, progress, result, failure) was not applied: `inc({ reason: 'superseded' })`. Keep reasons few and fixed. */
  readonly taskReportsRejected = new Counter<'reason'>({
    name: 'swarm_task_reports_rejected_total',
    help: 'Agent task reports not applied (superseded attempt, task no longer in flight, ...), by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** queued → assigned of a task that completed, observed when it completes, in seconds. */
  readonly taskQueueWait = new Histogram({
    name: 'swarm_task_queue_wait_seconds',
    help: 'Time a completed task waited dispatchable before its last attempt was assigned (queued_at to assigned_at)',
    buckets: TASK_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /** running → completed, in seconds. */
  readonly taskExecution = new Histogram({
    name: 'swarm_task_execution_seconds',
    help: 'Time an agent worked on a completed task (started_at to completed_at)',
    buckets: TASK_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /** created → completed, in seconds. */
  readonly taskEndToEnd = new Histogram({
    name: 'swarm_task_end_to_end_seconds',
    help: 'Time from submission to completion (created_at to completed_at)',
    buckets: TASK_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /** queued → assigned, observed by the distributor at every assignment (retries included), in seconds. */
  readonly taskAssignment = new Histogram({
    name: 'swarm_task_assignment_seconds',
    help: 'Time from a task becoming dispatchable to an attempt being assigned, at every assignment (queued_at to assignment)',
    buckets: TASK_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /** One distributor cycle (snapshot, plan, fill, claim, commit, push), in seconds. */
  readonly dispatchCycle = new Histogram({
    name: 'swarm_dispatch_cycle_seconds',
    help: 'Duration of one distributor cycle of one swarm',
    buckets: DISPATCH_CYCLE_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /**
   * Where a submission's time goes before the distributor can see it (api, once per request):
   * insert = from the tasks' queued_at to their rows being stored; enqueue = the Redis write
   * that makes them dispatchable and wakes a distributor.
   */
  readonly taskSubmitStage = new Histogram({
    name: 'swarm_task_submit_stage_seconds',
    help: 'Time of one stage of a task submission request (insert: queued_at to rows stored; enqueue: Redis ready queues and signal)',
    labelNames: ['stage'],
    buckets: DISPATCH_CYCLE_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  /**
   * Where the distributor's part of assignment latency goes (worker): pickup = from a task's
   * queued_at to the start of the cycle that claimed it (once per claimed task); snapshot,
   * plan, claim and commit = the stages of a cycle that claimed work (once per such cycle).
   */
  readonly taskDispatchStage = new Histogram({
    name: 'swarm_task_dispatch_stage_seconds',
    help: 'Time of one stage on the way from queued to assigned (pickup per task; snapshot, plan, claim, commit per cycle that claimed work)',
    labelNames: ['stage'],
    buckets: DISPATCH_CYCLE_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor(@Inject(METRICS_SERVICE_NAME) service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    // Known label values start at 0, so rate() works from a task's first outcome.
    for (const outcome of TASK_OUTCOMES) this.tasksFinished.inc({ outcome }, 0);
    for (const stage of SUBMIT_STAGES) this.taskSubmitStage.zero({ stage });
    for (const stage of DISPATCH_STAGES) this.taskDispatchStage.zero({ stage });
  }
}

@Global()
@Module({})
export class MetricsModule {
  static forService(service: string) {
    return {
      module: MetricsModule,
      providers: [{ provide: METRICS_SERVICE_NAME, useValue: service }, Metrics],
      exports: [Metrics],
    };
  }
}

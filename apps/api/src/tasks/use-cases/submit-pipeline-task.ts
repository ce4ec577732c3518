import { Injectable, Logger } from '@nestjs/common';
import type { SubmitTaskDto } from '@swarm/contracts';
import { Prisma, PrismaService, TaskRepository, TaskWithDependencies } from '@swarm/db';
import {
  agentCapability,
  Conflict,
  normaliseCapabilities,
  PipelineSpec,
  readStoredConfiguration,
  requirementClass,
  ringPipeline,
  TASK_PRIORITY,
  ValidationFailed,
} from '@swarm/domain';
import { TaskDispatchStore } from '@swarm/messaging';
import { Metrics } from '@swarm/observability';
import { SwarmLayoutReader } from '@swarm/topology';
import { v7 as uuidv7 } from 'uuid';
import { concurrentKeyWinner, lockSwarmForSubmission, taskNamedByKey } from './single-task-submission';
import { TASK_PAYLOAD_MAX_BYTES } from './submit-tasks';

/**
 * A ring pipeline: the task travels the ring from the leader, one stage per live member (each
 * pinned to it), each stage's output the next one's payload. Stored as a parent ('running',
 * never dispatched itself) and its stages; the engine starts each next stage when one completes.
 */
@Injectable()
export class SubmitPipelineTask {
  private readonly logger = new Logger(SubmitPipelineTask.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly tasks: TaskRepository,
    private readonly dispatch: TaskDispatchStore,
    private readonly layouts: SwarmLayoutReader,
    private readonly metrics: Metrics,
  ) {}

  async execute(ownerId: string, swarmId: string, spec: SubmitTaskDto): Promise<{ task: TaskWithDependencies; created: boolean }> {
    if (spec.depends_on?.length) throw new ValidationFailed('depends_on cannot be combined with pipeline: let other tasks depend on the pipeline instead');
    const payload = spec.payload ?? null;
    const size = Buffer.byteLength(JSON.stringify(payload));
    if (size > TASK_PAYLOAD_MAX_BYTES) throw new ValidationFailed(`payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    const required = normaliseCapabilities(spec.required_capabilities ?? []);
    if (required.some((c) => c.startsWith('agent:'))) throw new ValidationFailed('a pipeline visits every member itself: leave agent: capabilities out');

    let firstStage: { id: string; capabilities: string[]; queuedAt: Date } | null = null;
    let parentId: string;
    let created = true;
    try {
      parentId = await this.prisma.$transaction(async (tx) => {
        const swarm = await lockSwarmForSubmission(tx, ownerId, swarmId);
        if (swarm.topology !== 'ring') throw new Conflict(`a pipeline travels a ring; swarm ${swarmId} is a ${swarm.topology} (PUT /swarms/${swarmId}/topology to change it)`);
        const existing = await taskNamedByKey(this.tasks, tx, ownerId, swarmId, spec.idempotency_key);
        if (existing) {
          created = false;
          return existing;
        }
        const current = await this.layouts.current(swarmId);
        const capable = new Set(
          (await tx.agent.findMany({ where: { id: { in: current?.layout.order ?? [] } }, select: { id: true, capabilities: true } }))
            .filter((a) => required.every((c) => a.capabilities.includes(c)))
            .map((a) => a.id),
        );
        const path = current ? ringPipeline(current.layout).filter((id) => capable.has(id)) : [];
        if (path.length === 0) {
          const what = required.length > 0 ? ` with capabilities [${required.join(', ')}]` : '';
          throw new Conflict(`no live member${what} to run the pipeline in swarm ${swarmId}`);
        }
        const config = readStoredConfiguration(swarm.configuration);
        const now = new Date();
        const id = uuidv7();
        const stageId = uuidv7();
        const pipeline: PipelineSpec = { path, stages: [{ agent_id: path[0], task_id: stageId, status: 'queued' }] };
        const common = {
          ownerId,
          swarmId,
          taskType: spec.task_type,
          priority: spec.priority ?? TASK_PRIORITY.default,
          maxAttempts: spec.max_attempts ?? config.max_task_attempts,
          timeoutMs: spec.timeout_ms ?? config.task_timeout_ms,
          createdAt: now,
          queuedAt: now,
        };
        await tx.task.create({
          data: { ...common, id, payload: payload as Prisma.InputJsonValue, requiredCapabilities: required, status: 'running', startedAt: now, idempotencyKey: spec.idempotency_key ?? null, pipeline: pipeline as unknown as Prisma.InputJsonValue },
        });
        const capabilities = normaliseCapabilities([...required, agentCapability(path[0])]);
        await tx.task.create({ data: { ...common, id: stageId, parentTaskId: id, payload: payload as Prisma.InputJsonValue, requiredCapabilities: capabilities, status: 'queued' } });
        firstStage = { id: stageId, capabilities, queuedAt: now };
        return id;
      });
    } catch (error) {
      parentId = await concurrentKeyWinner(this.tasks, this.prisma, ownerId, swarmId, spec.idempotency_key, error);
      created = false;
      firstStage = null;
    }
    const stage = firstStage as { id: string; capabilities: string[]; queuedAt: Date } | null;
    if (stage) {
      try {
        await this.dispatch.enqueue(swarmId, [
          { taskId: stage.id, taskType: spec.task_type, priority: spec.priority ?? TASK_PRIORITY.default, requiredCapabilities: stage.capabilities, requirementClass: requirementClass(stage.capabilities), queuedAt: stage.queuedAt.getTime() },
        ]);
      } catch (error) {
        this.logger.warn({ err: error, swarmId, parentId }, 'could not enqueue the first pipeline stage in Redis; the reconciler will');
      }
      this.metrics.tasksSubmitted.inc(1);
      this.logger.log({ swarmId, taskId: parentId }, 'pipeline submitted');
    }
    const [task] = await this.tasks.findManyByIds(this.prisma, ownerId, [parentId]);
    return { task, created };
  }
}

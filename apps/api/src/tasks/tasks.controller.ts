import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ListTasksQuery, SubmitTaskBatchDto, SubmitTaskDto, TaskBatchView, TaskPageView, TaskView } from '@swarm/contracts';
import { NotFound, ValidationFailed } from '@swarm/domain';
import { TaskRepository } from '@swarm/db';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { describeValidationErrors, RequestValidationError } from '../common/validation';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentTask } from './task.presenter';
import { CancelTask } from './use-cases/cancel-task';
import { SubmitTasks } from './use-cases/submit-tasks';

@ApiTags('tasks')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@ApiExtraModels(SubmitTaskDto, SubmitTaskBatchDto)
@Controller('swarms/:swarmId/tasks')
export class TasksController {
  constructor(
    private readonly submitTasks: SubmitTasks,
    private readonly cancelTask: CancelTask,
    private readonly tasks: TaskRepository,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Submit one task, or a batch of up to 1,000 ({"tasks": [...]})',
    description: 'One task answers 201 with the task (200 when its idempotency_key was seen before); a batch answers 201 with {tasks} in the order given.',
  })
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(SubmitTaskDto) }, { $ref: getSchemaPath(SubmitTaskBatchDto) }] } })
  @ApiCreatedResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TaskView) }, { $ref: getSchemaPath(TaskBatchView) }] } })
  @ApiExtraModels(TaskView, TaskBatchView)
  @ApiErrorResponses(409, 413)
  async submit(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskView | TaskBatchView> {
    const isBatch = typeof body === 'object' && body !== null && 'tasks' in body;
    const specs = isBatch ? (await validated(SubmitTaskBatchDto, body)).tasks : [await validated(SubmitTaskDto, body)];
    const { tasks, created } = await this.submitTasks.execute({ actor, swarmId, tasks: specs });
    if (isBatch) return { tasks: tasks.map(presentTask) };
    if (created === 0) reply.status(200);
    return presentTask(tasks[0]);
  }

  @Get()
  @ApiOperation({ summary: "List the swarm's tasks, newest first (filters: status, task_type, agent_id)" })
  @ApiOkResponse({ type: TaskPageView })
  async list(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Query() query: ListTasksQuery,
  ): Promise<TaskPageView> {
    const page = await this.tasks.listForOwner(
      actor.principal.ownerId,
      swarmId,
      { status: query.status, taskType: query.task_type, agentId: query.agent_id },
      { limit: query.limit ?? 100, cursor: query.cursor },
    );
    return { items: page.items.map(presentTask), next_cursor: page.nextCursor };
  }

  @Get(':taskId')
  @ApiOperation({ summary: 'A task with its attempts (agent, fencing token, error each), result and times' })
  @ApiOkResponse({ type: TaskView })
  async get(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Param('taskId', uuidParam('taskId')) taskId: string,
  ): Promise<TaskView> {
    const task = await this.tasks.findForOwner(actor.principal.ownerId, swarmId, taskId);
    if (!task) throw new NotFound('task', taskId);
    return presentTask(task);
  }

  @Post(':taskId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a task that has not finished; its agent is told to stop, dependants are settled' })
  @ApiOkResponse({ type: TaskView })
  @ApiErrorResponses(409)
  async cancel(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Param('taskId', uuidParam('taskId')) taskId: string,
  ): Promise<TaskView> {
    return presentTask(await this.cancelTask.execute({ actor, swarmId, taskId }));
  }
}

/** The body is one of two shapes, so it is validated here with the global pipe's rules. */
async function validated<T extends object>(type: new () => T, body: unknown): Promise<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailed('the body must be a task object or {"tasks": [...]}');
  }
  const instance = plainToInstance(type, body);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
  if (errors.length > 0) throw new RequestValidationError(describeValidationErrors(errors));
  return instance;
}

import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ListTasksQuery, SubmitTaskBatchDto, SubmitTaskDto, TaskBatchView, TaskPageView, TaskView, validateSubmitTask, validateSubmitTaskBatch } from '@swarm/contracts';
import { NotFound, ValidationFailed } from '@swarm/domain';
import { TaskRepository } from '@swarm/db';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { RequestValidationError } from '../common/validation';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentSubmittedTasks, presentTask } from './task.presenter';
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
    // The body is one of two shapes; each is checked with the global pipe's rules and messages.
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationFailed('the body must be a task object or {"tasks": [...]}');
    }
    const isBatch = 'tasks' in body;
    const check = isBatch ? validateSubmitTaskBatch(body) : validateSubmitTask(body);
    if (!check.ok) throw new RequestValidationError(check.problems);
    const { tasks, created } = await this.submitTasks.execute({ actor, swarmId, tasks: check.tasks });
    const views = presentSubmittedTasks(tasks);
    if (isBatch) return { tasks: views };
    if (created === 0) reply.status(200);
    return views[0];
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

import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { ListWorkflowsQuery, WorkflowKnownFields } from './network.dto';
import { ListWorkflows, readWorkflowRegistration, RegisterWorkflow } from './use-cases/workflows';
import { presentWorkflow, WorkflowView } from './workflow.presenter';

/** Agent workflows as the aitbc CLI registers them (`aitbc agent create`, `aitbc agent list`). */
@ApiTags('workflows')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/agents/workflows')
export class WorkflowsController {
  constructor(
    private readonly register: RegisterWorkflow,
    private readonly list: ListWorkflows,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Register a workflow: creates an agent of type workflow and returns its token once',
    description: 'Keys beyond the listed ones (those of a workflow file) are kept as the definition; capabilities come from its capabilities and steps.',
  })
  @ApiBody({ type: WorkflowKnownFields })
  @ApiCreatedResponse({ description: 'The workflow, with agent_token to connect as its agent' })
  // A plain object type: the global pipe leaves it alone, the known fields are checked by hand.
  async create(@CurrentActor() actor: Actor, @Body() body: Record<string, unknown>): Promise<WorkflowView & { agent_token: string }> {
    const { agent, token } = await this.register.execute(actor, readWorkflowRegistration(body));
    return { ...presentWorkflow(agent), agent_token: token };
  }

  @Get()
  @ApiOperation({ summary: 'Your workflows, newest first; another owner id lists nothing' })
  @ApiOkResponse({ description: '{items, count}' })
  async index(@CurrentPrincipal() principal: Principal, @Query() query: ListWorkflowsQuery): Promise<{ items: WorkflowView[]; count: number }> {
    const items = (await this.list.execute(principal.ownerId, query)).map(presentWorkflow);
    return { items, count: items.length };
  }
}

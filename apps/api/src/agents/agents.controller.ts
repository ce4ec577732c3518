import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { AgentView, AgentWithTokenView, CreateAgentDto } from '@swarm/contracts';
import { AgentRepository, PrismaService } from '@swarm/db';
import { NotFound } from '@swarm/domain';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentAgent } from './agent.presenter';
import { AgentFactory } from './use-cases/create-agent';

/** Agents outside any swarm; add them to swarms with POST /swarms/:id/agents {agent_id}. */
@ApiTags('agents')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/agents')
export class AgentsController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly factory: AgentFactory,
    private readonly agents: AgentRepository,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register an agent outside any swarm; returns its token once' })
  @ApiCreatedResponse({ type: AgentWithTokenView })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateAgentDto): Promise<AgentWithTokenView> {
    const { agent, token } = await this.prisma.$transaction((tx) =>
      this.factory.create(tx, actor, {
        name: body.name,
        agentType: body.agent_type,
        capabilities: body.capabilities,
        maxConcurrency: body.max_concurrency,
        metadata: body.metadata,
      }),
    );
    return { ...presentAgent(agent), token };
  }

  @Get(':agentId')
  @ApiOperation({ summary: 'One of your agents' })
  @ApiOkResponse({ type: AgentView })
  @ApiErrorResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('agentId', uuidParam('agentId')) agentId: string): Promise<AgentView> {
    const agent = await this.agents.findForOwner(principal.ownerId, agentId);
    if (!agent) throw new NotFound('agent', agentId);
    return presentAgent(agent);
  }
}

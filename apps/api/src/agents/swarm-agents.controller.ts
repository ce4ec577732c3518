import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import {
  ListSwarmAgentsQuery,
  ListSwarmEventsQuery,
  RegisteredSwarmAgentView,
  RegisterSwarmAgentDto,
  SwarmAgentPageView,
  SwarmAgentView,
  SwarmEventPageView,
  SwarmHealthView,
} from '@swarm/contracts';
import { HistoryRepository, SwarmRepository } from '@swarm/db';
import { NotFound } from '@swarm/domain';
import { toSwarmEventMessage } from '@swarm/messaging';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentMember } from './agent.presenter';
import { GetSwarmHealth } from './use-cases/get-swarm-health';
import { GetSwarmAgent, ListSwarmAgents } from './use-cases/query-agents';
import { RegisterSwarmAgent } from './use-cases/register-swarm-agent';
import { RemoveSwarmAgent } from './use-cases/remove-swarm-agent';

@ApiTags('agents')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@Controller('swarms/:swarmId')
export class SwarmAgentsController {
  constructor(
    private readonly registerAgent: RegisterSwarmAgent,
    private readonly removeAgent: RemoveSwarmAgent,
    private readonly listAgents: ListSwarmAgents,
    private readonly getAgent: GetSwarmAgent,
    private readonly getHealth: GetSwarmHealth,
    private readonly swarms: SwarmRepository,
    private readonly history: HistoryRepository,
  ) {}

  @Post('agents')
  @ApiOperation({ summary: 'Register a new agent in the swarm (returns its token once), or add an existing one with agent_id' })
  @ApiCreatedResponse({ type: RegisteredSwarmAgentView })
  @ApiErrorResponses(409)
  async register(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Body() body: RegisterSwarmAgentDto,
  ): Promise<RegisteredSwarmAgentView> {
    const { member, leaderAgentId, token } = await this.registerAgent.execute({
      actor,
      swarmId,
      agentId: body.agent_id,
      newAgent: {
        name: body.name,
        agentType: body.agent_type,
        capabilities: body.capabilities,
        maxConcurrency: body.max_concurrency,
        metadata: body.metadata,
      },
      role: body.role,
      priority: body.priority,
    });
    return { ...presentMember(member, leaderAgentId), ...(token ? { token } : {}) };
  }

  @Get('agents')
  @ApiOperation({ summary: 'List the agents of a swarm (filter by status, capability, role)' })
  @ApiOkResponse({ type: SwarmAgentPageView })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Query() query: ListSwarmAgentsQuery,
  ): Promise<SwarmAgentPageView> {
    const { page, leaderAgentId } = await this.listAgents.execute(
      principal.ownerId,
      swarmId,
      { status: query.status, capability: query.capability, role: query.role },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map((m) => presentMember(m, leaderAgentId)), next_cursor: page.nextCursor };
  }

  @Get('agents/:agentId')
  @ApiOperation({ summary: "One agent of the swarm with its membership (also after it left: history is kept)" })
  @ApiOkResponse({ type: SwarmAgentView })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Param('agentId', uuidParam('agentId')) agentId: string,
  ): Promise<SwarmAgentView> {
    const { member, leaderAgentId } = await this.getAgent.execute(principal.ownerId, swarmId, agentId);
    return presentMember(member, leaderAgentId);
  }

  @Delete('agents/:agentId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an agent from the swarm: it is told to stop (if it serves no other swarm) and disconnected' })
  @ApiNoContentResponse({ description: 'Removed' })
  async remove(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Param('agentId', uuidParam('agentId')) agentId: string,
  ): Promise<void> {
    await this.removeAgent.execute(actor, swarmId, agentId);
  }

  @Get('events')
  @ApiOperation({ summary: 'Swarm event history (type filter, time range, cursor paging; newest first by default)' })
  @ApiOkResponse({ type: SwarmEventPageView })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Query() query: ListSwarmEventsQuery,
  ): Promise<SwarmEventPageView> {
    if (!(await this.swarms.findForOwner(principal.ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const page = await this.history.listSwarmEvents(principal.ownerId, swarmId, {
      types: query.type?.split(','),
      since: query.since ? new Date(query.since) : undefined,
      until: query.until ? new Date(query.until) : undefined,
      cursor: query.cursor !== undefined ? BigInt(query.cursor) : undefined,
      order: query.order ?? 'desc',
      limit: query.limit ?? 100,
    });
    return { items: page.items.map(toSwarmEventMessage), next_cursor: page.nextCursor };
  }

  @Get('health')
  @ApiOperation({ summary: 'Per-agent liveness, heartbeat age and resources; counts by status; swarm status and why' })
  @ApiOkResponse({ type: SwarmHealthView })
  health(@CurrentPrincipal() principal: Principal, @Param('swarmId', uuidParam('swarmId')) swarmId: string): Promise<SwarmHealthView> {
    return this.getHealth.execute(principal.ownerId, swarmId);
  }
}

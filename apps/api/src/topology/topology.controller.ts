import { Body, Controller, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { ListSwarmMessagesQuery, PinRoleDto, SwarmMessagePageView, TopologyQuery, TopologyView, UpdateTopologyDto } from '@swarm/contracts';
import { SwarmRepository } from '@swarm/db';
import { NotFound, renderMermaid, renderSvg, toTopologyGraph } from '@swarm/domain';
import { SwarmLayoutReader } from '@swarm/topology';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { UpdateSwarm } from '../swarms/use-cases/update-swarm';
import { drawableLayout, presentTopology } from './topology.presenter';
import { ListSwarmMessages } from './use-cases/list-swarm-messages';
import { PinMemberRole } from './use-cases/pin-member-role';

const swarmUuid = uuidParam('swarmId');

@ApiTags('topology')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@Controller('swarms/:swarmId')
export class TopologyController {
  constructor(
    private readonly swarms: SwarmRepository,
    private readonly layouts: SwarmLayoutReader,
    private readonly updateSwarm: UpdateSwarm,
    private readonly pinRole: PinMemberRole,
    private readonly listMessages: ListSwarmMessages,
  ) {}

  @Get('topology')
  @ApiOperation({ summary: 'The swarm as a graph: members with role and status, and who may message whom (json, svg or mermaid)' })
  @ApiProduces('application/json', 'image/svg+xml', 'text/plain')
  @ApiOkResponse({ type: TopologyView })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', swarmUuid) swarmId: string,
    @Query() query: TopologyQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TopologyView | string> {
    const current = await this.read(principal.ownerId, swarmId);
    if (query.format === 'svg') {
      reply.type('image/svg+xml; charset=utf-8');
      return renderSvg(drawableLayout(current.layout).layout);
    }
    if (query.format === 'mermaid') {
      reply.type('text/plain; charset=utf-8');
      return renderMermaid(toTopologyGraph(drawableLayout(current.layout).layout));
    }
    return presentTopology(swarmId, current);
  }

  @Put('topology')
  @ApiOperation({ summary: 'Change the topology of a live swarm: roles reassigned and agents told; queued and running tasks carry on' })
  @ApiOkResponse({ type: TopologyView })
  @ApiErrorResponses(409)
  async update(@CurrentActor() actor: Actor, @Param('swarmId', swarmUuid) swarmId: string, @Body() body: UpdateTopologyDto): Promise<TopologyView> {
    await this.updateSwarm.execute({
      actor,
      swarmId,
      topology: body.topology,
      configuration: body.max_children_per_parent === undefined ? undefined : { max_children_per_parent: body.max_children_per_parent },
    });
    return presentTopology(swarmId, await this.read(actor.principal.ownerId, swarmId));
  }

  @Put('agents/:agentId/role')
  @HttpCode(204)
  @ApiOperation({ summary: "Pin a member's role (coordinator, supervisor, worker), or send null to let the topology choose" })
  @ApiNoContentResponse({ description: 'Pinned; the topology was re-laid out' })
  @ApiErrorResponses(409)
  async pin(
    @CurrentActor() actor: Actor,
    @Param('swarmId', swarmUuid) swarmId: string,
    @Param('agentId', uuidParam('agentId')) agentId: string,
    @Body() body: PinRoleDto,
  ): Promise<void> {
    await this.pinRole.execute(actor, swarmId, agentId, body.role);
  }

  @Get('messages')
  @ApiOperation({ summary: 'Agent-to-agent messages of the swarm, newest first: delivered and refused, with the topology rule applied' })
  @ApiOkResponse({ type: SwarmMessagePageView })
  async messages(@CurrentPrincipal() principal: Principal, @Param('swarmId', swarmUuid) swarmId: string, @Query() query: ListSwarmMessagesQuery): Promise<SwarmMessagePageView> {
    return this.listMessages.execute(principal.ownerId, swarmId, query);
  }

  private async read(ownerId: string, swarmId: string) {
    if (!(await this.swarms.findForOwner(ownerId, swarmId))) throw new NotFound('swarm', swarmId);
    const current = await this.layouts.current(swarmId);
    if (!current) throw new NotFound('swarm', swarmId);
    return current;
  }
}

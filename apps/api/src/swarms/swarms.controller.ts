import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { CreateSwarmDto, ListSwarmsQuery, SwarmPageView, SwarmView, UpdateSwarmDto } from '@swarm/contracts';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentSwarm } from './swarm.presenter';
import { CreateSwarm } from './use-cases/create-swarm';
import { GetSwarm, ListSwarms } from './use-cases/query-swarms';
import { TerminateSwarm } from './use-cases/terminate-swarm';
import { UpdateSwarm } from './use-cases/update-swarm';

const uuid = uuidParam('swarmId');

@ApiTags('swarms')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('swarms')
export class SwarmsController {
  constructor(
    private readonly createSwarm: CreateSwarm,
    private readonly updateSwarm: UpdateSwarm,
    private readonly terminateSwarm: TerminateSwarm,
    private readonly getSwarm: GetSwarm,
    private readonly listSwarms: ListSwarms,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a swarm (operator)' })
  @ApiCreatedResponse({ type: SwarmView })
  @ApiErrorResponses(409, 413)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateSwarmDto): Promise<SwarmView> {
    return presentSwarm(await this.createSwarm.execute({ actor, ...body }));
  }

  @Get()
  @ApiOperation({ summary: 'List your swarms, newest first, with cursor paging' })
  @ApiOkResponse({ type: SwarmPageView })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListSwarmsQuery): Promise<SwarmPageView> {
    const page = await this.listSwarms.execute(
      principal.ownerId,
      { status: query.status, topology: query.topology },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map(presentSwarm), next_cursor: page.nextCursor };
  }

  @Get(':swarmId')
  @ApiOperation({ summary: 'Get one swarm' })
  @ApiOkResponse({ type: SwarmView })
  @ApiErrorResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('swarmId', uuid) swarmId: string): Promise<SwarmView> {
    return presentSwarm(await this.getSwarm.execute(principal.ownerId, swarmId));
  }

  @Put(':swarmId')
  @ApiOperation({ summary: 'Update name, description, topology or configuration (fields left out are kept)' })
  @ApiOkResponse({ type: SwarmView })
  @ApiErrorResponses(404, 409, 413)
  async update(
    @CurrentActor() actor: Actor,
    @Param('swarmId', uuid) swarmId: string,
    @Body() body: UpdateSwarmDto,
  ): Promise<SwarmView> {
    return presentSwarm(await this.updateSwarm.execute({ actor, swarmId, ...body }));
  }

  @Delete(':swarmId')
  @ApiOperation({ summary: 'Terminate a swarm: agents released, open tasks cancelled, history kept' })
  @ApiOkResponse({ type: SwarmView })
  @ApiErrorResponses(404)
  async terminate(@CurrentActor() actor: Actor, @Param('swarmId', uuid) swarmId: string): Promise<SwarmView> {
    return presentSwarm(await this.terminateSwarm.execute(actor, swarmId));
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { CreateNetworkDto, ExecuteNetworkDto, ListNetworksQuery, NetworkStatusQuery, OptimizeNetworkDto, OptimizeNetworkQuery, OptimizationObjective } from './network.dto';
import { presentExecution, presentNetwork } from './network.presenter';
import { CreateNetwork } from './use-cases/create-network';
import { ExecuteNetwork } from './use-cases/execute-network';
import { GetExecution } from './use-cases/get-execution';
import { GetNetworkStatus, readMetricGroups } from './use-cases/get-network-status';
import { NetworkRecords } from './use-cases/network-records';
import { OptimizeNetwork } from './use-cases/optimize-network';

const DEFAULT_OBJECTIVE: OptimizationObjective = 'efficiency';

/** Agent networks (`aitbc agent network ...`): groups of your agents, each run as a swarm. */
@ApiTags('networks')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/agents/networks')
export class NetworksController {
  constructor(
    private readonly createNetwork: CreateNetwork,
    private readonly records: NetworkRecords,
    private readonly executeNetwork: ExecuteNetwork,
    private readonly getExecution: GetExecution,
    private readonly getStatus: GetNetworkStatus,
    private readonly optimizeNetwork: OptimizeNetwork,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a network of your agents, backed by a new swarm (centralized star, decentralized mesh, hybrid hierarchical, round-robin star)' })
  @ApiCreatedResponse({ description: '{id, name, description, agents, coordination_strategy, status, created_at, owner_id, swarm_id}' })
  @ApiErrorResponses(404, 409)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateNetworkDto) {
    const loaded = await this.createNetwork.execute({
      actor,
      name: body.name,
      description: body.description,
      agentIds: body.agents,
      strategy: body.coordination_strategy ?? 'centralized',
    });
    return presentNetwork(loaded);
  }

  @Get()
  @ApiOperation({ summary: 'Your networks, newest first' })
  @ApiOkResponse({ description: '{items, count}' })
  async index(@CurrentPrincipal() principal: Principal, @Query() query: ListNetworksQuery) {
    const items = (await this.records.list(principal.ownerId, query.limit ?? 20)).map(presentNetwork);
    return { items, count: items.length };
  }

  @Get(':networkId')
  @ApiOperation({ summary: 'One of your networks' })
  @ApiOkResponse({ description: 'The network' })
  @ApiErrorResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('networkId', uuidParam('networkId')) networkId: string) {
    return presentNetwork(await this.records.load(principal.ownerId, networkId));
  }

  @Post(':networkId/execute')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a task over the network: split into subtasks of its swarm; poll the execution for results' })
  @ApiAcceptedResponse({ description: '{id, execution_id, network_id, task, status, started_at, results}' })
  @ApiErrorResponses(404, 409)
  async execute(@CurrentActor() actor: Actor, @Param('networkId', uuidParam('networkId')) networkId: string, @Body() body: ExecuteNetworkDto) {
    const { execution } = await this.executeNetwork.execute({ actor, networkId, task: body.task, priority: body.priority ?? 'normal' });
    return presentExecution(await this.getExecution.stateOf(actor.principal.ownerId, execution));
  }

  @Get(':networkId/executions/:executionId')
  @ApiOperation({ summary: 'An execution, aggregated from its subtasks' })
  @ApiOkResponse({ description: 'The execution; results in order once completed' })
  @ApiErrorResponses(404)
  async execution(
    @CurrentPrincipal() principal: Principal,
    @Param('networkId', uuidParam('networkId')) networkId: string,
    @Param('executionId', uuidParam('executionId')) executionId: string,
  ) {
    return presentExecution(await this.getExecution.execute(principal.ownerId, networkId, executionId));
  }

  @Get(':networkId/status')
  @ApiOperation({ summary: 'Agents, tasks, executions and measured performance of the network (metrics=agents,tasks,executions,performance)' })
  @ApiOkResponse({ description: 'The groups asked for' })
  @ApiErrorResponses(404)
  async status(@CurrentPrincipal() principal: Principal, @Param('networkId', uuidParam('networkId')) networkId: string, @Query() query: NetworkStatusQuery) {
    return this.getStatus.execute(principal.ownerId, networkId, readMetricGroups(query.metrics));
  }

  @Post(':networkId/optimize')
  @HttpCode(200)
  @ApiOperation({ summary: 'Recommendations from measured data, ranked for the objective; apply=true applies distribution and topology changes' })
  @ApiOkResponse({ description: '{recommendations, applied?, note?, measured}' })
  @ApiErrorResponses(404, 409)
  async optimize(@CurrentActor() actor: Actor, @Param('networkId', uuidParam('networkId')) networkId: string, @Body() body: OptimizeNetworkDto) {
    return this.optimizeNetwork.execute(actor, networkId, body.objective ?? DEFAULT_OBJECTIVE, body.apply ?? false);
  }

  @Get(':networkId/optimize')
  @ApiOperation({ summary: 'The same recommendations, without applying any' })
  @ApiOkResponse({ description: '{recommendations, note?, measured}' })
  @ApiErrorResponses(404)
  async recommendations(@CurrentActor() actor: Actor, @Param('networkId', uuidParam('networkId')) networkId: string, @Query() query: OptimizeNetworkQuery) {
    return this.optimizeNetwork.execute(actor, networkId, query.objective ?? DEFAULT_OBJECTIVE, false);
  }
}

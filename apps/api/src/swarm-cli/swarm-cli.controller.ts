import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { CoordinateTaskDto, JoinSwarmDto, LegacyConsensusDto, LegacyLeaveDto, ListSwarmsQuery, SwarmStatusQuery, TaskConsensusDto } from './swarm-cli.dto';
import { CoordinateTask, readCoordinationRequest } from './use-cases/coordinate-task';
import { CoordinationState, CoordinationStates, DEFAULT_CONSENSUS_THRESHOLD } from './use-cases/coordination-state';
import { JoinSwarm } from './use-cases/join-swarm';
import { SwarmViews } from './use-cases/swarm-views';

/** The older document's algorithm names, as the vote's algorithms. */
const LEGACY_ALGORITHM = { 'majority-vote': 'majority', 'super-majority': 'super_majority', unanimous: 'unanimous' } as const;

/** The aitbc CLI's `swarm` commands: join, list, coordinate, status, consensus, leave. */
@ApiTags('swarm-cli')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('swarm')
export class SwarmCliController {
  constructor(
    private readonly joinSwarm: JoinSwarm,
    private readonly coordinateTask: CoordinateTask,
    private readonly states: CoordinationStates,
    private readonly views: SwarmViews,
  ) {}

  @Post('join')
  @ApiOperation({ summary: 'Join as a new agent with the role and capability, placed in a swarm of the region with room (a new mesh swarm when none has)' })
  @ApiCreatedResponse({ description: '{swarm_id, member_id, role, status, joined_at, agent_token}' })
  @ApiErrorResponses(409)
  async join(@CurrentActor() actor: Actor, @Body() body: JoinSwarmDto) {
    const joined = await this.joinSwarm.execute({ actor, role: body.role, capability: body.capability, priority: body.priority ?? 'normal', region: body.region });
    return {
      swarm_id: joined.swarmId,
      swarm_name: joined.swarmName,
      member_id: joined.memberId,
      name: joined.agentName,
      role: body.role,
      capability: body.capability,
      priority: body.priority ?? 'normal',
      region: body.region ?? null,
      status: joined.status,
      joined_at: joined.joinedAt,
      agent_token: joined.agentToken,
    };
  }

  @Get('list')
  @ApiOperation({ summary: 'Your swarms with their active members, newest first' })
  @ApiOkResponse({ description: '{items, count}' })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListSwarmsQuery) {
    const items = await this.views.list(principal.ownerId, { limit: query.limit ?? 20, swarmId: query.swarm_id, status: query.status });
    return { items, count: items.length };
  }

  @Get('status')
  @ApiOperation({ summary: 'Summaries of your swarms: members, active tasks, coordinations, measured performance' })
  @ApiOkResponse({ description: 'A list of {swarm_id, member_count, active_tasks, coordination_status, performance_metrics}' })
  @ApiErrorResponses(404)
  async status(@CurrentPrincipal() principal: Principal, @Query() query: SwarmStatusQuery) {
    return this.views.status(principal.ownerId, query.swarm_id);
  }

  @Post('coordinate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a task over live members: consensus (a redundant task voted on), distributed (one part per collaborator) or leader-election (an elected leader runs it, the others verify)' })
  @ApiAcceptedResponse({ description: '{task_id, status, strategy, collaborators}' })
  @ApiErrorResponses(404, 409)
  async coordinate(@CurrentActor() actor: Actor, @Body() body: CoordinateTaskDto) {
    const coordination = await this.coordinateTask.execute(actor, readCoordinationRequest(body));
    return presentStatus(await this.states.stateOf(coordination), body.strategy ?? 'map-reduce');
  }

  @Get('tasks/:taskId/status')
  @ApiOperation({ summary: 'A coordinated task as its collaborators’ tasks are now' })
  @ApiOkResponse({ description: '{task_id, status, progress, active_collaborators, total_collaborators, results}' })
  @ApiErrorResponses(404)
  async taskStatus(@CurrentPrincipal() principal: Principal, @Param('taskId', uuidParam('taskId')) taskId: string) {
    return presentStatus(await this.states.load(principal.ownerId, taskId));
  }

  @Post('tasks/:taskId/consensus')
  @HttpCode(200)
  @ApiOperation({ summary: 'Vote the collaborators’ results with a super-majority at the threshold' })
  @ApiOkResponse({ description: '{consensus_reached, result, confidence_score, votes, participating_members, reason?}' })
  @ApiErrorResponses(404)
  async consensus(@CurrentPrincipal() principal: Principal, @Param('taskId', uuidParam('taskId')) taskId: string, @Body() body: TaskConsensusDto) {
    return this.states.consensus(principal.ownerId, taskId, 'super_majority', body?.consensus_threshold ?? DEFAULT_CONSENSUS_THRESHOLD);
  }

  @Post('consensus')
  @HttpCode(200)
  @ApiOperation({ summary: 'Older form of the vote: {task_id, consensus_algorithm}' })
  @ApiOkResponse({ description: '{consensus_reached, result, confidence_score, votes, participating_members, reason?}' })
  @ApiErrorResponses(404)
  async legacyConsensus(@CurrentPrincipal() principal: Principal, @Body() body: LegacyConsensusDto) {
    const algorithm = LEGACY_ALGORITHM[body.consensus_algorithm ?? 'majority-vote'];
    return this.states.consensus(principal.ownerId, body.task_id, algorithm, algorithm === 'super_majority' ? DEFAULT_CONSENSUS_THRESHOLD : undefined);
  }

  /** The CLI sends no body at all here (no Content-Length, no Content-Type), so none is read. */
  @Post(':swarmId/leave')
  @HttpCode(200)
  @ApiOperation({ summary: 'Your members of the swarm leave it' })
  @ApiOkResponse({ description: '{swarm_id, left}' })
  @ApiErrorResponses(404)
  async leave(@CurrentActor() actor: Actor, @Param('swarmId', uuidParam('swarm_id')) swarmId: string) {
    return this.views.leave(actor, swarmId);
  }

  @Post('leave')
  @HttpCode(200)
  @ApiOperation({ summary: 'Older form: {swarm_id, member_id?}' })
  @ApiOkResponse({ description: '{swarm_id, left}' })
  @ApiErrorResponses(404)
  async legacyLeave(@CurrentActor() actor: Actor, @Body() body: LegacyLeaveDto) {
    return this.views.leave(actor, body.swarm_id, body.member_id);
  }
}

function presentStatus(state: CoordinationState, strategyAsked?: string) {
  const { coordination } = state;
  return {
    task_id: coordination.id,
    status: state.status,
    ...(state.reason ? { reason: state.reason } : {}),
    strategy: strategyAsked ?? coordination.strategy,
    run_as: coordination.strategy,
    swarm_id: coordination.swarmId,
    collaborators: coordination.collaborators,
    progress: state.progress,
    active_collaborators: state.activeCollaborators,
    total_collaborators: coordination.collaborators,
    created_at: coordination.createdAt,
    timeout_at: coordination.timeoutAt,
    results: state.tasks.map((t) => ({
      part: t.part,
      task_id: t.task_id,
      member_id: t.agent_id,
      status: t.status,
      result: t.result,
      error: t.error,
      ...(t.role ? { role: t.role } : {}),
      ...(t.verdict !== undefined ? { verdict: t.verdict } : {}),
    })),
  };
}

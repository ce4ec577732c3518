import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { AgentStatsView } from '@swarm/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { GetAgentStats } from './use-cases/get-agent-stats';

@ApiTags('metrics')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@Controller('swarms/:swarmId/agents/:agentId/stats')
export class AgentStatsController {
  constructor(private readonly stats: GetAgentStats) {}

  @Get()
  @ApiOperation({
    summary: 'Per task-type statistics of an agent of the swarm (also after it left) and the tasks it holds now',
    description:
      'completed / failed / timed_out counts, exponentially weighted success rate and latency, and mean execution ' +
      'time per task type (kept per agent, across its swarms); in_flight counts this swarm’s tasks assigned to or running on it.',
  })
  @ApiOkResponse({ type: AgentStatsView })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Param('agentId', uuidParam('agentId')) agentId: string,
  ): Promise<AgentStatsView> {
    return this.stats.execute(principal.ownerId, swarmId, agentId);
  }
}

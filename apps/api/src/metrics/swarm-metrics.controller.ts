import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { SwarmMetricsHistoryQuery, SwarmMetricsHistoryView, SwarmMetricsQuery, SwarmMetricsView } from '@swarm/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { GetSwarmMetrics } from './use-cases/get-swarm-metrics';
import { GetSwarmMetricsHistory } from './use-cases/get-swarm-metrics-history';

@ApiTags('metrics')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@Controller('swarms/:swarmId/metrics')
export class SwarmMetricsController {
  constructor(
    private readonly live: GetSwarmMetrics,
    private readonly history: GetSwarmMetricsHistory,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Task figures of the swarm over the last window, computed from the database now',
    description:
      'Submissions, outcomes and throughput; queue-wait, execution and end-to-end latency percentiles of the tasks ' +
      'completed in the window; the queue depth now; agent utilization; attempt error and retry rates.',
  })
  @ApiOkResponse({ type: SwarmMetricsView })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Query() query: SwarmMetricsQuery,
  ): Promise<SwarmMetricsView> {
    return this.live.execute(principal.ownerId, swarmId, query.window);
  }

  @Get('history')
  @ApiOperation({
    summary: 'Roll-ups of the swarm per 1m, 5m or 1h bucket (oldest first, cursor paging)',
    description: 'Written by the worker a little after each bucket closes; buckets without activity have no row.',
  })
  @ApiOkResponse({ type: SwarmMetricsHistoryView })
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('swarmId', uuidParam('swarmId')) swarmId: string,
    @Query() query: SwarmMetricsHistoryQuery,
  ): Promise<SwarmMetricsHistoryView> {
    return this.history.execute(principal.ownerId, swarmId, {
      window: query.window,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      cursor: query.cursor ? new Date(query.cursor) : undefined,
      limit: query.limit,
    });
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import { ConsensusMetricsQuery, ConsensusMetricsView, CreateProposalDto, ListProposalsQuery, ProposalPageView, ProposalView } from '@swarm/contracts';
import { ConsensusRepository } from '@swarm/db';
import { NotFound, tallyVotes } from '@swarm/domain';
import { consensusInputOf, presentTally } from '@swarm/task-engine';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentProposal } from './proposal.presenter';
import { CancelProposal } from './use-cases/cancel-proposal';
import { CreateProposal } from './use-cases/create-proposal';
import { GetConsensusMetrics } from './use-cases/get-consensus-metrics';

@ApiTags('consensus')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403, 404)
@Controller('api/v1/consensus')
export class ConsensusController {
  constructor(
    private readonly createProposal: CreateProposal,
    private readonly cancelProposal: CancelProposal,
    private readonly metrics: GetConsensusMetrics,
    private readonly proposals: ConsensusRepository,
  ) {}

  @Post('proposals')
  @ApiOperation({
    summary: "Ask a swarm's agents to vote on a question",
    description:
      'Every participant receives consensus.request on its socket and answers consensus.vote. The proposal closes as soon as the ' +
      'outcome cannot change (decided or not reachable), or at its deadline on the votes cast.',
  })
  @ApiCreatedResponse({ type: ProposalView })
  @ApiErrorResponses(409)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateProposalDto): Promise<ProposalView> {
    return presentProposal(await this.createProposal.execute(actor, body));
  }

  @Get('proposals')
  @ApiOperation({ summary: 'List proposals, newest first (filters: swarm_id, status; cursor paging)' })
  @ApiOkResponse({ type: ProposalPageView })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListProposalsQuery): Promise<ProposalPageView> {
    const page = await this.proposals.listForOwner(principal.ownerId, { swarmId: query.swarm_id, status: query.status }, { limit: query.limit ?? 100, cursor: query.cursor });
    return { items: page.items.map((p) => presentProposal(p)), next_cursor: page.nextCursor };
  }

  @Get('metrics')
  @ApiOperation({
    summary: 'How proposals fared over a window: counts by status, success rate, decision time percentiles',
    description: 'Over the proposals created in [now - window, now). Decision time is decided_at - created_at of the decided ones (percentile_cont).',
  })
  @ApiOkResponse({ type: ConsensusMetricsView })
  getMetrics(@CurrentPrincipal() principal: Principal, @Query() query: ConsensusMetricsQuery): Promise<ConsensusMetricsView> {
    return this.metrics.execute(principal.ownerId, query.swarm_id, query.window);
  }

  @Get('proposals/:proposalId')
  @ApiOperation({ summary: 'A proposal with its outcome, every vote (agent, value, weight, delegate, cast_at) and the tally' })
  @ApiOkResponse({ type: ProposalView })
  async get(@CurrentPrincipal() principal: Principal, @Param('proposalId', uuidParam('proposalId')) proposalId: string): Promise<ProposalView> {
    const proposal = await this.proposals.findForOwner(principal.ownerId, proposalId);
    if (!proposal) throw new NotFound('proposal', proposalId);
    const deadlinePassed = proposal.status !== 'open' || proposal.deadlineAt.getTime() <= Date.now();
    const tally = presentTally(tallyVotes(consensusInputOf(proposal, proposal.votes, deadlinePassed)));
    return presentProposal(proposal, { votes: proposal.votes, tally });
  }

  @Post('proposals/:proposalId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an open proposal; participants are told, votes so far are kept' })
  @ApiOkResponse({ type: ProposalView })
  @ApiErrorResponses(409)
  async cancel(@CurrentActor() actor: Actor, @Param('proposalId', uuidParam('proposalId')) proposalId: string): Promise<ProposalView> {
    return presentProposal(await this.cancelProposal.execute(actor, proposalId));
  }
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONSENSUS_ALGORITHMS, ConsensusAlgorithm, DEFAULT_LIVE_METRIC_WINDOW, LIVE_METRIC_WINDOWS, LiveMetricWindow } from '@swarm/domain';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { IsOmittable } from './validation';

export const PROPOSAL_STATUSES = ['open', 'decided', 'not_reached', 'cancelled'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const CONSENSUS_LIMITS = {
  questionLength: { min: 1, max: 2_000 },
  options: 100,
  participants: 1_000,
  /** Deadlines: long enough for a round trip, short enough that an open vote is still relevant. */
  deadlineMs: { min: 100, max: 86_400_000, default: 30_000 },
} as const;

// --- POST /api/v1/consensus/proposals ----------------------------------------------------------

export class CreateProposalDto {
  @ApiProperty({ format: 'uuid', description: 'The swarm whose agents vote' })
  @IsDefined() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id!: string;

  @ApiProperty({ example: 'Which plan do we run?', minLength: 1, maxLength: CONSENSUS_LIMITS.questionLength.max })
  @IsDefined() @IsString() @Length(CONSENSUS_LIMITS.questionLength.min, CONSENSUS_LIMITS.questionLength.max)
  question!: string;

  @ApiPropertyOptional({
    type: 'array',
    items: {},
    example: ['plan-a', 'plan-b'],
    maxItems: CONSENSUS_LIMITS.options,
    description: 'The values that may be voted for (any JSON, compared in canonical form). Omitted: any value may be voted for.',
  })
  @IsOmittable() @IsArray() @ArrayMinSize(1, { message: 'options, when given, must hold at least one value' }) @ArrayMaxSize(CONSENSUS_LIMITS.options)
  options?: unknown[];

  @ApiProperty({ enum: CONSENSUS_ALGORITHMS })
  @IsDefined() @IsIn(CONSENSUS_ALGORITHMS, { message: `algorithm must be one of ${CONSENSUS_ALGORITHMS.join(', ')}` })
  algorithm!: ConsensusAlgorithm;

  @ApiPropertyOptional({ example: 0.75, description: 'super_majority only: share of the participating weight needed, in (0.5, 1]; default 2/3' })
  @IsOmittable() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'threshold must be a number' })
  threshold?: number;

  @ApiPropertyOptional({ example: 0.5, minimum: 0, maximum: 1, description: "Share of the participants' weight that must vote before anything is decided; default 0.5" })
  @IsOmittable() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'quorum must be a number' }) @Min(0) @Max(1)
  quorum?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { '0190b6a0-0000-7000-8000-000000000001': 3 },
    description: 'weighted and delegated only: agent id → weight (>= 0; 1 for agents not listed). weighted without weights learns them from each agent\'s task success rate.',
  })
  @IsOmittable() @IsObject({ message: 'weights must be an object of agent id → number' })
  weights?: Record<string, number>;

  @ApiPropertyOptional({ type: [String], description: 'Agent ids, active members of the swarm. Omitted: every healthy (idle or busy) member.' })
  @IsOmittable() @IsArray() @ArrayMinSize(1, { message: 'participants, when given, must name at least one agent' }) @ArrayMaxSize(CONSENSUS_LIMITS.participants)
  @IsUUID('all', { each: true, message: 'each participant must be an agent id (UUID)' })
  participants?: string[];

  @ApiPropertyOptional({ minimum: CONSENSUS_LIMITS.deadlineMs.min, maximum: CONSENSUS_LIMITS.deadlineMs.max, default: CONSENSUS_LIMITS.deadlineMs.default, description: 'Time to vote, from now' })
  @IsOmittable() @IsInt({ message: 'deadline_ms must be an integer' }) @Min(CONSENSUS_LIMITS.deadlineMs.min) @Max(CONSENSUS_LIMITS.deadlineMs.max)
  deadline_ms?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Absolute deadline instead of deadline_ms (same bounds)' })
  @IsOmittable() @IsISO8601({ strict: true }, { message: 'deadline must be an ISO 8601 date-time' })
  deadline?: string;
}

export class ListProposalsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id?: string;

  @ApiPropertyOptional({ enum: PROPOSAL_STATUSES })
  @IsOptional() @IsIn(PROPOSAL_STATUSES, { message: `status must be one of ${PROPOSAL_STATUSES.join(', ')}` })
  status?: ProposalStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional() @IsUUID('all', { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class ConsensusMetricsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this swarm' })
  @IsOptional() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id?: string;

  @ApiPropertyOptional({ enum: LIVE_METRIC_WINDOWS, default: DEFAULT_LIVE_METRIC_WINDOW, description: 'Proposals created in [now - window, now)' })
  @IsOptional() @IsIn(LIVE_METRIC_WINDOWS, { message: `window must be one of ${LIVE_METRIC_WINDOWS.join(', ')}` })
  window?: LiveMetricWindow;
}

// --- views ---------------------------------------------------------------------------------------

export class TallyEntryView {
  @ApiProperty({ description: 'The value (any JSON)' }) value!: unknown;
  @ApiProperty({ description: 'Weight behind it' }) weight!: number;
  @ApiProperty({ type: [String], description: 'Agents whose weight is behind it: voters and those delegating to them' }) voters!: string[];
}

export class ParticipationView {
  @ApiProperty({ example: 0.8, description: "Weight that voted (directly or through a delegate) / all participants' weight" }) by_weight!: number;
  @ApiProperty({ example: 0.8, description: 'Same, counting agents' }) by_count!: number;
}

export class RejectedVoteView {
  @ApiProperty({ format: 'uuid' }) agent_id!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() message!: string;
}

export class TallyView {
  @ApiProperty({ enum: ['pending', 'decided', 'not_reached'] }) status!: string;
  @ApiProperty({ type: [TallyEntryView], description: 'Heaviest first' }) entries!: TallyEntryView[];
  @ApiProperty({ type: ParticipationView }) participation!: ParticipationView;
  @ApiProperty({ description: 'Share of the participating weight behind the leading value' }) confidence!: number;
  @ApiProperty({ type: [RejectedVoteView], description: 'Recorded votes the tally does not count' }) rejected!: RejectedVoteView[];
}

export class ConsensusVoteView {
  @ApiProperty({ format: 'uuid' }) agent_id!: string;
  @ApiProperty({ nullable: true, description: 'The value voted for; null for a delegation' }) value!: unknown;
  @ApiProperty({ description: "The agent's weight in this proposal" }) weight!: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Set when the agent gave its vote to another participant' }) delegate_agent_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) cast_at!: string;
}

export class ProposalView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty() question!: string;
  @ApiProperty({ type: 'array', items: {}, nullable: true, description: 'null: free-form' }) options!: unknown[] | null;
  @ApiProperty({ enum: CONSENSUS_ALGORITHMS }) algorithm!: ConsensusAlgorithm;
  @ApiProperty({ type: Number, nullable: true }) threshold!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'null: the default, 0.5' }) quorum!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, nullable: true, description: 'Explicit weights' }) weights!: Record<string, number> | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, nullable: true, description: 'Success rates the weights were learnt from (weighted without weights)' })
  success_rates!: Record<string, number> | null;
  @ApiProperty({ type: [String] }) participants!: string[];
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status!: ProposalStatus;
  @ApiProperty({ nullable: true, description: 'The decided value; null unless decided' }) decided_value!: unknown;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was not reached: timeout, no_quorum, tie, threshold_not_met, not_unanimous, cancelled' }) outcome_reason!: string | null;
  @ApiProperty({ type: Number, nullable: true }) confidence!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Participation by weight at the close' }) participation!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) deadline_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it closed (decided, not reached or cancelled)' }) decided_at!: string | null;
  @ApiPropertyOptional({ type: [ConsensusVoteView], description: 'Only on GET /consensus/proposals/:id' }) votes?: ConsensusVoteView[];
  @ApiPropertyOptional({ type: TallyView, description: 'Only on GET /consensus/proposals/:id: the tally of the votes so far (the final one once closed)' }) tally?: TallyView;
}

export class ProposalPageView {
  @ApiProperty({ type: [ProposalView] }) items!: ProposalView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class DecisionTimeView {
  @ApiProperty({ type: Number, nullable: true, description: 'decided_at - created_at of decided proposals, median (percentile_cont), ms' }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
  @ApiProperty({ type: Number, nullable: true }) mean!: number | null;
  @ApiProperty({ description: 'Decided proposals the figures are computed over' }) count!: number;
}

export class ProposalCountsView {
  @ApiProperty() open!: number;
  @ApiProperty() decided!: number;
  @ApiProperty() not_reached!: number;
  @ApiProperty() cancelled!: number;
  @ApiProperty() total!: number;
}

export class ConsensusMetricsView {
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) swarm_id!: string | null;
  @ApiProperty({ enum: LIVE_METRIC_WINDOWS }) window!: LiveMetricWindow;
  @ApiProperty({ type: String, format: 'date-time' }) from!: string;
  @ApiProperty({ type: String, format: 'date-time' }) to!: string;
  @ApiProperty({ type: ProposalCountsView, description: 'Proposals created in the window, by status now' }) proposals!: ProposalCountsView;
  @ApiProperty({ type: Number, nullable: true, description: 'decided / (decided + not_reached); null when none closed' }) success_rate!: number | null;
  @ApiProperty({ type: Object, description: 'not_reached proposals by reason' }) not_reached_by_reason!: Record<string, number>;
  @ApiProperty({ type: DecisionTimeView }) decision_time_ms!: DecisionTimeView;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AGENT_STATUSES, AgentStatus } from '@swarm/domain';
import { IsOmittable, NO_BRACKETS } from '@swarm/contracts';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';

export const VERIFICATION_LEVELS = ['basic', 'full', 'zero-knowledge'] as const;
export type VerificationLevel = (typeof VERIFICATION_LEVELS)[number];

export const COORDINATION_STRATEGIES = ['centralized', 'decentralized', 'hybrid', 'round-robin'] as const;
export type CoordinationStrategy = (typeof COORDINATION_STRATEGIES)[number];

export const EXECUTION_PRIORITIES = ['low', 'normal', 'high'] as const;
export type ExecutionPriority = (typeof EXECUTION_PRIORITIES)[number];

export const OPTIMIZATION_OBJECTIVES = ['speed', 'efficiency', 'cost', 'quality'] as const;
export type OptimizationObjective = (typeof OPTIMIZATION_OBJECTIVES)[number];

export const STATUS_METRIC_GROUPS = ['agents', 'tasks', 'executions', 'performance'] as const;
export type StatusMetricGroup = (typeof STATUS_METRIC_GROUPS)[number];

/** Agents a network may group: one swarm holds them all. */
export const NETWORK_MAX_AGENTS = 1000;

/** Clients send filters they were not given as empty values: those mean no filter. */
const EmptyAsMissing = () => Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

const NAME_RULE = { message: 'name must not contain square brackets' };

/**
 * Optional fields use @IsOptional where a client may send null for a value the user did not
 * give (description, budgets, strategy, priority): null means missing there.
 *
 * The known fields of a workflow registration. The body may carry any further keys (those of
 * the client's workflow file): they are kept as the workflow's definition, not refused, so this
 * class is validated by hand rather than by the global pipe.
 */
export class WorkflowKnownFields {
  @ApiProperty({ example: 'summariser' })
  @IsString({ message: 'name must be a string' }) @Length(1, 100, { message: 'name must be 1 to 100 characters' }) @Matches(NO_BRACKETS, NAME_RULE)
  name!: string;

  @ApiPropertyOptional({ example: 'Summarises documents' })
  @IsOptional() @IsString({ message: 'description must be a string' }) @Length(0, 2000, { message: 'description must be at most 2000 characters' })
  description?: string;

  @ApiPropertyOptional({ enum: VERIFICATION_LEVELS, default: 'basic' })
  @IsOptional() @IsIn(VERIFICATION_LEVELS, { message: `verification_level must be one of ${VERIFICATION_LEVELS.join(', ')}` })
  verification_level?: VerificationLevel;

  @ApiPropertyOptional({ format: 'uuid', description: 'Chosen by the client; a new one is made when missing' })
  @IsOmittable() @IsUUID('all', { message: 'workflow_id must be a UUID' })
  workflow_id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional() @IsObject({ message: 'inputs must be an object' })
  inputs?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 3600, description: 'Seconds' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'max_execution_time must be a number' }) @Min(0, { message: 'max_execution_time must not be negative' })
  max_execution_time?: number;

  @ApiPropertyOptional({ example: 10 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'max_cost_budget must be a number' }) @Min(0, { message: 'max_cost_budget must not be negative' })
  max_cost_budget?: number;
}

export class ListWorkflowsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOmittable() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1, { message: 'limit must be at least 1' }) @Max(100, { message: 'limit must be at most 100' })
  limit?: number;

  @ApiPropertyOptional({ description: "The workflow's type: the `type` key of its definition, else workflow" })
  @EmptyAsMissing() @IsOmittable() @IsString() @Length(1, 100)
  type?: string;

  @ApiPropertyOptional({ enum: AGENT_STATUSES, description: "The workflow agent's status" })
  @EmptyAsMissing() @IsOmittable() @IsIn(AGENT_STATUSES, { message: `status must be one of ${AGENT_STATUSES.join(', ')}` })
  status?: AgentStatus;

  @ApiPropertyOptional({ enum: VERIFICATION_LEVELS })
  @EmptyAsMissing() @IsOmittable() @IsIn(VERIFICATION_LEVELS, { message: `verification must be one of ${VERIFICATION_LEVELS.join(', ')}` })
  verification?: VerificationLevel;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only your own owner id lists anything: another owner’s workflows are never shown' })
  @EmptyAsMissing() @IsOmittable() @IsUUID('all', { message: 'owner must be a UUID' })
  owner?: string;
}

export class CreateNetworkDto {
  @ApiProperty({ example: 'research-net' })
  @IsString() @Length(1, 100, { message: 'name must be 1 to 100 characters' }) @Matches(NO_BRACKETS, NAME_RULE)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @Length(0, 2000, { message: 'description must be at most 2000 characters' })
  description?: string;

  @ApiProperty({ type: [String], description: 'Ids of your agents' })
  @IsArray({ message: 'agents must be a list of agent ids' })
  @ArrayNotEmpty({ message: 'agents must name at least one agent' })
  @ArrayMaxSize(NETWORK_MAX_AGENTS, { message: `agents may name at most ${NETWORK_MAX_AGENTS} agents` })
  @IsString({ each: true, message: 'each agent id must be a string' })
  agents!: string[];

  @ApiPropertyOptional({ enum: COORDINATION_STRATEGIES, default: 'centralized' })
  @IsOptional() @IsIn(COORDINATION_STRATEGIES, { message: `coordination_strategy must be one of ${COORDINATION_STRATEGIES.join(', ')}` })
  coordination_strategy?: CoordinationStrategy;
}

export class ListNetworksQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOmittable() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1, { message: 'limit must be at least 1' }) @Max(100, { message: 'limit must be at most 100' })
  limit?: number;
}

export class ExecuteNetworkDto {
  @ApiProperty({
    description:
      'Any JSON. An array under items, inputs or subtasks becomes one subtask per element; otherwise every agent gets the task with its part number',
  })
  @IsDefined({ message: 'task is required' })
  task!: unknown;

  @ApiPropertyOptional({ enum: EXECUTION_PRIORITIES, default: 'normal' })
  @IsOptional() @IsIn(EXECUTION_PRIORITIES, { message: `priority must be one of ${EXECUTION_PRIORITIES.join(', ')}` })
  priority?: ExecutionPriority;
}

export class NetworkStatusQuery {
  @ApiPropertyOptional({ example: 'agents,performance', description: `Comma-separated groups out of ${STATUS_METRIC_GROUPS.join(', ')}; all when missing` })
  @EmptyAsMissing() @IsOmittable() @IsString()
  metrics?: string;
}

export class OptimizeNetworkDto {
  @ApiPropertyOptional({ enum: OPTIMIZATION_OBJECTIVES, default: 'efficiency' })
  @IsOmittable() @IsIn(OPTIMIZATION_OBJECTIVES, { message: `objective must be one of ${OPTIMIZATION_OBJECTIVES.join(', ')}` })
  objective?: OptimizationObjective;

  @ApiPropertyOptional({ default: false, description: 'Apply the recommendations that change settings (distribution, topology)' })
  @IsOmittable() @IsBoolean({ message: 'apply must be true or false' })
  apply?: boolean;
}

export class OptimizeNetworkQuery {
  @ApiPropertyOptional({ enum: OPTIMIZATION_OBJECTIVES, default: 'efficiency' })
  @IsOmittable() @IsIn(OPTIMIZATION_OBJECTIVES, { message: `objective must be one of ${OPTIMIZATION_OBJECTIVES.join(', ')}` })
  objective?: OptimizationObjective;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOmittable } from '@swarm/contracts';
import { SWARM_STATUSES, SwarmStatus } from '@swarm/domain';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

export const CLI_ROLES = ['load-balancer', 'resource-optimizer', 'task-coordinator', 'monitor'] as const;
export type CliRole = (typeof CLI_ROLES)[number];

export const JOIN_PRIORITIES = ['low', 'normal', 'high'] as const;
export type JoinPriority = (typeof JOIN_PRIORITIES)[number];

/** The CLI's three strategies, and the older document's map-reduce (run as distributed). */
export const COORDINATION_STRATEGIES = ['consensus', 'leader-election', 'distributed', 'map-reduce'] as const;
export type CoordinationStrategyName = (typeof COORDINATION_STRATEGIES)[number];

/** The older document's algorithm names for POST /swarm/consensus. */
export const CONSENSUS_ALGORITHMS = ['majority-vote', 'super-majority', 'unanimous'] as const;
export type ConsensusAlgorithmName = (typeof CONSENSUS_ALGORITHMS)[number];


/** A capability, as agents declare them. */
const CAPABILITY = /^[A-Za-z0-9][A-Za-z0-9_.\/-]{0,63}$/;
/** Regions name the swarms joins are placed in (cli-<region>-<n>): letters, digits and dashes. */
export const REGION = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

/** Clients send filters they were not given as empty values: those mean no filter. */
const EmptyAsMissing = () => Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

export class JoinSwarmDto {
  @ApiProperty({ enum: CLI_ROLES })
  @IsIn(CLI_ROLES, { message: `role must be one of ${CLI_ROLES.join(', ')}` })
  role!: CliRole;

  @ApiProperty({ example: 'gpu-inference' })
  @IsString({ message: 'capability must be a string' })
  @Matches(CAPABILITY, { message: 'capability must be 1-64 letters, digits or _./- starting with a letter or digit' })
  capability!: string;

  @ApiPropertyOptional({ enum: JOIN_PRIORITIES, default: 'normal' })
  @IsOptional() @IsIn(JOIN_PRIORITIES, { message: `priority must be one of ${JOIN_PRIORITIES.join(', ')}` })
  priority?: JoinPriority;

  @ApiPropertyOptional({ example: 'eu-west', description: 'Joins are placed in a swarm of this region (named cli-<region>-<n>)' })
  @IsOptional() @IsString({ message: 'region must be a string' })
  @Matches(REGION, { message: 'region must be 1-40 letters, digits or dashes starting with a letter or digit' })
  region?: string;
}

export class ListSwarmsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOmittable() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1, { message: 'limit must be at least 1' }) @Max(100, { message: 'limit must be at most 100' })
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  @EmptyAsMissing() @IsOmittable() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id?: string;

  @ApiPropertyOptional({ enum: SWARM_STATUSES })
  @EmptyAsMissing() @IsOmittable() @IsIn(SWARM_STATUSES, { message: `status must be one of ${SWARM_STATUSES.join(', ')}` })
  status?: SwarmStatus;
}

export class SwarmStatusQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @EmptyAsMissing() @IsOmittable() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id?: string;
}

/**
 * Both shapes: the CLI's {task, collaborators, strategy, timeout_seconds} and the older
 * {task_id, strategy, parameters}; the use case reads whichever was sent.
 */
export class CoordinateTaskDto {
  @ApiPropertyOptional({ description: 'The task: any JSON (the CLI sends a string)' })
  @IsOptional()
  task?: unknown;

  @ApiPropertyOptional({ description: 'Older form: the task, named by the client' })
  @IsOptional() @IsString({ message: 'task_id must be a string' }) @Length(1, 200, { message: 'task_id must be 1 to 200 characters' })
  task_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10 })
  @IsOptional() @IsInt({ message: 'collaborators must be an integer' }) @Min(1, { message: 'collaborators must be at least 1' }) @Max(10, { message: 'collaborators must be at most 10' })
  collaborators?: number;

  @ApiPropertyOptional({ enum: COORDINATION_STRATEGIES, default: 'map-reduce' })
  @IsOptional() @IsIn(COORDINATION_STRATEGIES, { message: `strategy must be one of ${COORDINATION_STRATEGIES.join(', ')}` })
  strategy?: CoordinationStrategyName;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, default: 300 })
  @IsOptional() @IsInt({ message: 'timeout_seconds must be an integer' }) @Min(1, { message: 'timeout_seconds must be at least 1' }) @Max(86400, { message: 'timeout_seconds must be at most 86400' })
  timeout_seconds?: number;

  @ApiPropertyOptional({ description: 'Older form: {collaborators?, timeout_seconds?, ...}; the whole object goes to the agents with the task' })
  @IsOptional() @IsObject({ message: 'parameters must be an object' })
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'uuid', description: 'The swarm to run it in; else your swarm with the most live members' })
  @IsOptional() @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id?: string;
}

export class TaskConsensusDto {
  @ApiPropertyOptional({ default: 0.7, description: 'Share of the votes the winning result needs (above 0.5, at most 1)' })
  @IsOmittable() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'consensus_threshold must be a number' })
  @Min(0.5, { message: 'consensus_threshold must be above 0.5' }) @Max(1, { message: 'consensus_threshold must be at most 1' })
  consensus_threshold?: number;
}

export class LegacyConsensusDto {
  @ApiProperty({ format: 'uuid', description: 'The task_id /swarm/coordinate answered' })
  @IsUUID('all', { message: 'task_id must be a UUID' })
  task_id!: string;

  @ApiPropertyOptional({ enum: CONSENSUS_ALGORITHMS, default: 'majority-vote' })
  @IsOptional() @IsIn(CONSENSUS_ALGORITHMS, { message: `consensus_algorithm must be one of ${CONSENSUS_ALGORITHMS.join(', ')}` })
  consensus_algorithm?: ConsensusAlgorithmName;

  @ApiPropertyOptional({ description: 'Accepted; the tally is always over the results in now' })
  @IsOptional() @IsInt({ message: 'timeout_seconds must be an integer' }) @Min(0, { message: 'timeout_seconds must not be negative' })
  timeout_seconds?: number;
}

export class LegacyLeaveDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'swarm_id must be a UUID' })
  swarm_id!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this member leaves; all of yours when missing' })
  @IsOptional() @IsUUID('all', { message: 'member_id must be a UUID' })
  member_id?: string;
}

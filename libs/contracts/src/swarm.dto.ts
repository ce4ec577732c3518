import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DEFAULT_SWARM_CONFIGURATION,
  DISTRIBUTION_ALGORITHMS,
  DistributionAlgorithm,
  SWARM_CONFIGURATION_BOUNDS as B,
  SWARM_STATUSES,
  SWARM_TOPOLOGIES,
  SwarmStatus,
  SwarmTopology,
} from '@swarm/domain';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOmittable, NO_BRACKETS } from './validation';

const D = DEFAULT_SWARM_CONFIGURATION;

/** Each setting is optional: omitted ones take the defaults (on create) or keep their value (on update). */
export class SwarmConfigurationDto {
  @ApiPropertyOptional({ minimum: B.min_agents.min, maximum: B.min_agents.max, default: D.min_agents })
  @IsOmittable() @IsInt() @Min(B.min_agents.min) @Max(B.min_agents.max)
  min_agents?: number;

  @ApiPropertyOptional({ minimum: B.max_agents.min, maximum: B.max_agents.max, default: D.max_agents })
  @IsOmittable() @IsInt() @Min(B.max_agents.min) @Max(B.max_agents.max)
  max_agents?: number;

  @ApiPropertyOptional({ minimum: B.heartbeat_interval_ms.min, maximum: B.heartbeat_interval_ms.max, default: D.heartbeat_interval_ms })
  @IsOmittable() @IsInt() @Min(B.heartbeat_interval_ms.min) @Max(B.heartbeat_interval_ms.max)
  heartbeat_interval_ms?: number;

  @ApiPropertyOptional({
    minimum: B.heartbeat_timeout_ms.min,
    maximum: B.heartbeat_timeout_ms.max,
    description: 'Defaults to 3 × heartbeat_interval_ms; must be greater than it',
  })
  @IsOmittable() @IsInt() @Min(B.heartbeat_timeout_ms.min) @Max(B.heartbeat_timeout_ms.max)
  heartbeat_timeout_ms?: number;

  @ApiPropertyOptional({ minimum: B.failover_grace_ms.min, maximum: B.failover_grace_ms.max, default: D.failover_grace_ms })
  @IsOmittable() @IsInt() @Min(B.failover_grace_ms.min) @Max(B.failover_grace_ms.max)
  failover_grace_ms?: number;

  @ApiPropertyOptional({ minimum: B.task_timeout_ms.min, maximum: B.task_timeout_ms.max, default: D.task_timeout_ms })
  @IsOmittable() @IsInt() @Min(B.task_timeout_ms.min) @Max(B.task_timeout_ms.max)
  task_timeout_ms?: number;

  @ApiPropertyOptional({ minimum: B.max_task_attempts.min, maximum: B.max_task_attempts.max, default: D.max_task_attempts })
  @IsOmittable() @IsInt() @Min(B.max_task_attempts.min) @Max(B.max_task_attempts.max)
  max_task_attempts?: number;

  @ApiPropertyOptional({
    minimum: B.max_children_per_parent.min,
    maximum: B.max_children_per_parent.max,
    default: D.max_children_per_parent,
    description: 'Hierarchical topology: children per coordinator or supervisor',
  })
  @IsOmittable() @IsInt() @Min(B.max_children_per_parent.min) @Max(B.max_children_per_parent.max)
  max_children_per_parent?: number;

  @ApiPropertyOptional({ enum: DISTRIBUTION_ALGORITHMS, default: D.distribution_algorithm })
  @IsOmittable()
  @IsIn(DISTRIBUTION_ALGORITHMS, { message: `distribution_algorithm must be one of ${DISTRIBUTION_ALGORITHMS.join(', ')}` })
  distribution_algorithm?: DistributionAlgorithm;
}

export class CreateSwarmDto {
  @ApiProperty({ example: 'research-swarm', description: 'Unique among your swarms' })
  @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name!: string;

  @ApiPropertyOptional({ example: 'Agents that summarise papers' })
  @IsOptional() @IsString() @MaxLength(2000) @Matches(NO_BRACKETS, { message: 'description must not contain square brackets' })
  description?: string;

  @ApiPropertyOptional({ enum: SWARM_TOPOLOGIES, example: 'mesh', description: 'Required unless a template is named; wins over the template' })
  @ValidateIf((dto: CreateSwarmDto) => dto.topology !== undefined || !namesTemplate(dto))
  @IsDefined({ message: 'topology is required unless a template is named (template_id or template)' })
  @IsIn(SWARM_TOPOLOGIES, { message: `topology must be one of ${SWARM_TOPOLOGIES.join(', ')}` })
  topology?: SwarmTopology;

  @ApiPropertyOptional({ format: 'uuid', description: 'Start from this topology template (system or yours)' })
  @IsOmittable() @IsUUID('all', { message: 'template_id must be a UUID' })
  template_id?: string;

  @ApiPropertyOptional({ example: 'hierarchical', description: 'Start from the template with this name; yours wins over a system one' })
  @IsOmittable() @IsString() @Length(1, 100)
  template?: string;

  @ApiPropertyOptional({ type: SwarmConfigurationDto, description: 'Settings given here override the template' })
  @IsOmittable() @IsObject() @ValidateNested() @Type(() => SwarmConfigurationDto)
  configuration?: SwarmConfigurationDto;
}

function namesTemplate(dto: CreateSwarmDto): boolean {
  return dto.template_id !== undefined || dto.template !== undefined;
}

/** Partial update: fields left out keep their values; configuration settings merge. */
export class UpdateSwarmDto {
  @ApiPropertyOptional()
  @IsOmittable() @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it' })
  @IsOptional() @IsString() @MaxLength(2000) @Matches(NO_BRACKETS, { message: 'description must not contain square brackets' })
  description?: string | null;

  @ApiPropertyOptional({ enum: SWARM_TOPOLOGIES })
  @IsOmittable()
  @IsIn(SWARM_TOPOLOGIES, { message: `topology must be one of ${SWARM_TOPOLOGIES.join(', ')}` })
  topology?: SwarmTopology;

  @ApiPropertyOptional({ type: SwarmConfigurationDto })
  @IsOmittable() @IsObject() @ValidateNested() @Type(() => SwarmConfigurationDto)
  configuration?: SwarmConfigurationDto;
}

export class ListSwarmsQuery {
  @ApiPropertyOptional({ enum: SWARM_STATUSES, description: 'Terminated swarms are listed only when asked for' })
  @IsOptional()
  @IsIn(SWARM_STATUSES, { message: `status must be one of ${SWARM_STATUSES.join(', ')}` })
  status?: SwarmStatus;

  @ApiPropertyOptional({ enum: SWARM_TOPOLOGIES })
  @IsOptional()
  @IsIn(SWARM_TOPOLOGIES, { message: `topology must be one of ${SWARM_TOPOLOGIES.join(', ')}` })
  topology?: SwarmTopology;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page', format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class SwarmConfigurationView {
  @ApiProperty() min_agents!: number;
  @ApiProperty() max_agents!: number;
  @ApiProperty() heartbeat_interval_ms!: number;
  @ApiProperty() heartbeat_timeout_ms!: number;
  @ApiProperty() failover_grace_ms!: number;
  @ApiProperty() task_timeout_ms!: number;
  @ApiProperty() max_task_attempts!: number;
  @ApiProperty() max_children_per_parent!: number;
  @ApiProperty({ enum: DISTRIBUTION_ALGORITHMS }) distribution_algorithm!: DistributionAlgorithm;
}

export class SwarmView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: SWARM_TOPOLOGIES }) topology!: SwarmTopology;
  @ApiProperty({ enum: SWARM_STATUSES }) status!: SwarmStatus;
  @ApiProperty({ type: SwarmConfigurationView }) configuration!: SwarmConfigurationView;
  @ApiProperty({ description: 'Agents currently members of the swarm' }) agent_count!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) leader_agent_id!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The template the swarm was created from; null once that template is deleted' })
  topology_template_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) terminated_at!: string | null;
}

export class SwarmPageView {
  @ApiProperty({ type: [SwarmView] }) items!: SwarmView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor to get the next page; null on the last page' })
  next_cursor!: string | null;
}

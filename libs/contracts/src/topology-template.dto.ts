import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SWARM_TOPOLOGIES, SwarmTopology } from '@swarm/domain';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { SwarmConfigurationDto } from './swarm.dto';
import { IsOmittable, NO_BRACKETS } from './validation';

const TOPOLOGY_CHOICES = { message: `topology must be one of ${SWARM_TOPOLOGIES.join(', ')}` };

export class CreateTopologyTemplateDto {
  @ApiProperty({ example: 'wide-hierarchy', description: 'Unique among your templates; the names of system templates are taken' })
  @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name!: string;

  @ApiPropertyOptional({ example: 'Ten workers per supervisor' })
  @IsOptional() @IsString() @MaxLength(2000) @Matches(NO_BRACKETS, { message: 'description must not contain square brackets' })
  description?: string;

  @ApiProperty({ enum: SWARM_TOPOLOGIES, example: 'hierarchical' })
  @IsIn(SWARM_TOPOLOGIES, TOPOLOGY_CHOICES)
  topology!: SwarmTopology;

  @ApiPropertyOptional({
    type: SwarmConfigurationDto,
    description: 'Swarm settings the template stands for, checked like a swarm configuration; settings left out take the swarm defaults',
  })
  @IsOmittable() @IsObject() @ValidateNested() @Type(() => SwarmConfigurationDto)
  configuration?: SwarmConfigurationDto;
}

/** Partial update: fields left out keep their values; configuration settings merge. */
export class UpdateTopologyTemplateDto {
  @ApiPropertyOptional()
  @IsOmittable() @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it' })
  @IsOptional() @IsString() @MaxLength(2000) @Matches(NO_BRACKETS, { message: 'description must not contain square brackets' })
  description?: string | null;

  @ApiPropertyOptional({ enum: SWARM_TOPOLOGIES })
  @IsOmittable() @IsIn(SWARM_TOPOLOGIES, TOPOLOGY_CHOICES)
  topology?: SwarmTopology;

  @ApiPropertyOptional({ type: SwarmConfigurationDto })
  @IsOmittable() @IsObject() @ValidateNested() @Type(() => SwarmConfigurationDto)
  configuration?: SwarmConfigurationDto;
}

export class ListTopologyTemplatesQuery {
  @ApiPropertyOptional({ enum: SWARM_TOPOLOGIES })
  @IsOptional() @IsIn(SWARM_TOPOLOGIES, TOPOLOGY_CHOICES)
  topology?: SwarmTopology;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page', format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class TopologyTemplateView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: SWARM_TOPOLOGIES }) topology!: SwarmTopology;
  @ApiProperty({ type: SwarmConfigurationDto, description: 'Only the settings the template sets; a swarm created from it takes the defaults for the rest' })
  configuration!: SwarmConfigurationDto;
  @ApiProperty({ description: 'System templates are shared by every owner and read-only' }) is_system!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
}

export class TopologyTemplatePageView {
  @ApiProperty({ type: [TopologyTemplateView] }) items!: TopologyTemplateView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor to get the next page; null on the last page' })
  next_cursor!: string | null;
}

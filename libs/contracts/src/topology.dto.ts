import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AGENT_ROLES, AGENT_STATUSES, AgentRole, AgentStatus, SWARM_CONFIGURATION_BOUNDS, SWARM_TOPOLOGIES, SwarmTopology } from '@swarm/domain';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, ValidateIf } from 'class-validator';
import { IsOmittable } from './validation';

export const TOPOLOGY_FORMATS = ['json', 'svg', 'mermaid'] as const;
export type TopologyFormat = (typeof TOPOLOGY_FORMATS)[number];

const CHILDREN = SWARM_CONFIGURATION_BOUNDS.max_children_per_parent;

export class UpdateTopologyDto {
  @ApiProperty({ enum: SWARM_TOPOLOGIES, example: 'hierarchical' })
  @IsIn(SWARM_TOPOLOGIES, { message: `topology must be one of ${SWARM_TOPOLOGIES.join(', ')}` })
  topology!: SwarmTopology;

  @ApiPropertyOptional({ minimum: CHILDREN.min, maximum: CHILDREN.max, description: 'Hierarchical: children per coordinator or supervisor' })
  @IsOmittable() @IsInt({ message: 'max_children_per_parent must be an integer' }) @Min(CHILDREN.min) @Max(CHILDREN.max)
  max_children_per_parent?: number;
}

export class TopologyQuery {
  @ApiPropertyOptional({ enum: TOPOLOGY_FORMATS, default: 'json', description: 'json (graph), svg (a picture) or mermaid (flowchart text)' })
  @IsOptional() @IsIn(TOPOLOGY_FORMATS, { message: `format must be one of ${TOPOLOGY_FORMATS.join(', ')}` })
  format?: TopologyFormat;
}

export class PinRoleDto {
  @ApiProperty({ enum: AGENT_ROLES, nullable: true, description: 'The role to pin; null hands the choice back to the topology' })
  @ValidateIf((_o: object, value: unknown) => value !== null)
  @IsIn(AGENT_ROLES, { message: `role must be one of ${AGENT_ROLES.join(', ')} or null` })
  role!: AgentRole | null;
}

export class TopologyNodeView {
  @ApiProperty({ format: 'uuid' }) agent_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: AGENT_ROLES }) role!: AgentRole;
  @ApiProperty({ description: 'Whether the role was pinned through the API' }) role_pinned!: boolean;
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatus;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) parent_id!: string | null;
  @ApiPropertyOptional({ description: 'Depth from the coordinator (star, hierarchical)' }) level?: number;
}

export class TopologyEdgeView {
  @ApiProperty({ format: 'uuid' }) from!: string;
  @ApiProperty({ format: 'uuid' }) to!: string;
  @ApiProperty({ enum: ['coordinates', 'peer', 'parent_child', 'ring'] }) kind!: string;
}

export class TopologyView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ enum: SWARM_TOPOLOGIES }) topology!: SwarmTopology;
  @ApiProperty() max_children_per_parent!: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) leader_id!: string | null;
  @ApiProperty({ type: [String], description: 'Structural order: star = leader first; ring = travel order; hierarchical = tree slots breadth-first' })
  order!: string[];
  @ApiProperty({ type: [TopologyNodeView] }) nodes!: TopologyNodeView[];
  @ApiProperty({ type: [TopologyEdgeView], description: 'Who may message whom (undirected); only live members are linked' })
  edges!: TopologyEdgeView[];
  @ApiPropertyOptional({ description: 'Set instead of listing edges when a mesh is too large to list every pair' }) edges_omitted?: string;
}

export class ListSwarmMessagesQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only messages this agent sent or received' })
  @IsOptional() @IsUUID('all', { message: 'agent_id must be a UUID' })
  agent_id?: string;

  @ApiPropertyOptional({ description: 'true: only delivered messages; false: only refused ones' })
  @IsOptional() @Type(() => String) @IsIn(['true', 'false'], { message: 'delivered must be true or false' })
  delivered?: 'true' | 'false';

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional() @IsString() @Matches(/^\d{1,19}$/, { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class SwarmMessageView {
  @ApiProperty({ description: 'Log position; pages go newest first' }) id!: string;
  @ApiProperty({ format: 'uuid' }) message_id!: string;
  @ApiProperty({ format: 'uuid' }) from!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) to!: string | null;
  @ApiProperty() broadcast!: boolean;
  @ApiProperty({ type: [String] }) recipients!: string[];
  @ApiProperty() delivered!: boolean;
  @ApiProperty({ description: 'The topology rule that decided, e.g. ring.neighbours_only' }) rule!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was refused' }) reason!: string | null;
  @ApiProperty({ nullable: true, description: 'The JSON payload (delivered messages only)' }) payload!: unknown;
  @ApiProperty() sent_at!: string;
}

export class SwarmMessagePageView {
  @ApiProperty({ type: [SwarmMessageView] }) items!: SwarmMessageView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}


import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AGENT_ROLES, AGENT_STATUSES, AgentRole, AgentStatus } from '@swarm/domain';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsOmittable, NO_BRACKETS } from './validation';

const CAPABILITY = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;

export class CreateAgentDto {
  @ApiProperty({ example: 'summariser-1' })
  @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name!: string;

  @ApiProperty({ example: 'llm', description: 'What kind of program this is (llm, http, echo, ...)' })
  @IsString() @Length(1, 64) @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'agent_type may contain letters, digits, dot, dash and underscore' })
  agent_type!: string;

  @ApiPropertyOptional({ type: [String], example: ['summarise', 'translate:fr'], description: 'Up to 64 capability names' })
  @IsOmittable() @IsArray() @ArrayMaxSize(64)
  @Matches(CAPABILITY, { each: true, message: 'each capability must be 1-64 letters, digits or _.:/- and start with a letter or digit' })
  capabilities?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1, description: 'Tasks it may run at once' })
  @IsOmittable() @IsInt() @Min(1) @Max(1000)
  max_concurrency?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { model: 'llama3' } })
  @IsOmittable() @IsObject()
  metadata?: Record<string, unknown>;
}

/**
 * Either a new agent (name, agent_type, ...) or an existing one (agent_id) joining the swarm.
 * role and priority apply to the membership in this swarm.
 */
export class RegisterSwarmAgentDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Add an agent you already have instead of creating one' })
  @IsOmittable() @IsUUID('all', { message: 'agent_id must be a UUID' })
  agent_id?: string;

  @ApiPropertyOptional({ example: 'summariser-1', description: 'Required unless agent_id is given' })
  @IsOmittable() @IsString() @Length(1, 100) @Matches(NO_BRACKETS, { message: 'name must not contain square brackets' })
  name?: string;

  @ApiPropertyOptional({ example: 'llm', description: 'Required unless agent_id is given' })
  @IsOmittable() @IsString() @Length(1, 64) @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'agent_type may contain letters, digits, dot, dash and underscore' })
  agent_type?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOmittable() @IsArray() @ArrayMaxSize(64)
  @Matches(CAPABILITY, { each: true, message: 'each capability must be 1-64 letters, digits or _.:/- and start with a letter or digit' })
  capabilities?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1 })
  @IsOmittable() @IsInt() @Min(1) @Max(1000)
  max_concurrency?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOmittable() @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: AGENT_ROLES, default: 'worker' })
  @IsOmittable() @IsIn(AGENT_ROLES, { message: `role must be one of ${AGENT_ROLES.join(', ')}` })
  role?: AgentRole;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, default: 0, description: 'Higher wins leader elections between equally healthy agents' })
  @IsOmittable() @IsInt() @Min(0) @Max(1000)
  priority?: number;
}

export class ListSwarmAgentsQuery {
  @ApiPropertyOptional({ enum: AGENT_STATUSES })
  @IsOptional() @IsIn(AGENT_STATUSES, { message: `status must be one of ${AGENT_STATUSES.join(', ')}` })
  status?: AgentStatus;

  @ApiPropertyOptional({ description: 'Only agents that have this capability' })
  @IsOptional() @Matches(CAPABILITY, { message: 'capability must be 1-64 letters, digits or _.:/-' })
  capability?: string;

  @ApiPropertyOptional({ enum: AGENT_ROLES })
  @IsOptional() @IsIn(AGENT_ROLES, { message: `role must be one of ${AGENT_ROLES.join(', ')}` })
  role?: AgentRole;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional() @IsUUID('all', { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class AgentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() agent_type!: string;
  @ApiProperty({ type: [String] }) capabilities!: string[];
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatus;
  @ApiProperty() max_concurrency!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_heartbeat_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) status_changed_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
}

export class MembershipView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ enum: AGENT_ROLES }) role!: AgentRole;
  @ApiProperty() priority!: number;
  @ApiProperty({ enum: ['active', 'left'] }) status!: 'active' | 'left';
  @ApiProperty() is_leader!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) joined_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) left_at!: string | null;
}

export class SwarmAgentView extends AgentView {
  @ApiProperty({ type: MembershipView }) membership!: MembershipView;
}

export class AgentWithTokenView extends AgentView {
  @ApiProperty({ description: 'The agent token (sa_...). Shown only in this response; the agent connects with it.' })
  token!: string;
}

export class RegisteredSwarmAgentView extends SwarmAgentView {
  @ApiPropertyOptional({ description: 'Only when a new agent was created: its token, shown once' })
  token?: string;
}

export class SwarmAgentPageView {
  @ApiProperty({ type: [SwarmAgentView] }) items!: SwarmAgentView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class ListSwarmEventsQuery {
  @ApiPropertyOptional({ description: 'Comma-separated event types, e.g. agent_failed,agent_recovered' })
  @IsOptional() @Matches(/^[a-z_]+(,[a-z_]+)*$/, { message: 'type must be comma-separated event types like agent_failed' })
  type?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc', description: 'desc: newest first' })
  @IsOptional() @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional() @Matches(/^\d{1,19}$/, { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class SwarmEventView {
  @ApiProperty({ description: 'Increasing id (a string: it may exceed 2^53)' }) id!: string;
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ example: 'agent_failed' }) type!: string;
  @ApiProperty({ type: String, nullable: true }) agent_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) task_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
}

export class SwarmEventPageView {
  @ApiProperty({ type: [SwarmEventView] }) items!: SwarmEventView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class AgentLivenessView {
  @ApiProperty({ format: 'uuid' }) agent_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatus;
  @ApiProperty({ enum: AGENT_ROLES }) role!: AgentRole;
  @ApiProperty() is_leader!: boolean;
  @ApiProperty({ description: 'A socket of this agent is connected to some api copy' }) connected!: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'ms since the last heartbeat' }) heartbeat_age_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) cpu_percent!: number | null;
  @ApiProperty({ type: Number, nullable: true }) memory_mb!: number | null;
  @ApiProperty({ type: Number, nullable: true }) queue_depth!: number | null;
  @ApiProperty({ type: String, nullable: true }) current_task_id!: string | null;
}

export class SwarmHealthView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ enum: ['inactive', 'active', 'degraded', 'terminated'] }) status!: string;
  @ApiProperty({ type: [String], description: 'Why the swarm has this status' }) reasons!: string[];
  @ApiProperty({ type: String, nullable: true }) leader_agent_id!: string | null;
  @ApiProperty() healthy_agents!: number;
  @ApiProperty() min_agents!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { idle: 2, unhealthy: 1 } })
  counts_by_status!: Record<string, number>;
  @ApiProperty({ type: [AgentLivenessView] }) agents!: AgentLivenessView[];
}

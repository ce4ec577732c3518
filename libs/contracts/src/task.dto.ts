import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEPENDENCY_TYPES, DependencyType, TASK_PRIORITY, TASK_STATUSES, TaskStatus } from '@swarm/domain';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from './validation';

export const TASK_BATCH_MAX = 1_000;
export const TASK_DEPENDENCIES_MAX = 100;
export const TASK_CAPABILITIES_MAX = 32;
export const TASK_MAX_ATTEMPTS = { min: 1, max: 20 } as const;
export const TASK_TIMEOUT_MS = { min: 100, max: 86_400_000 } as const;
export const TASK_IDEMPOTENCY_KEY_LENGTH = { min: 1, max: 200 } as const;
export const TASK_CAPABILITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
export const TASK_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;
/** A dependency is a task id, or the `ref` of another task in the same batch. */
export const TASK_DEPENDENCY_PATTERN = /^([0-9a-fA-F-]{36}|[A-Za-z0-9_.:-]{1,64})$/;
export const TASK_REF_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The submission rules' own messages, shared with the hand-written validator
 * (task-submission-validation.ts) so the two cannot word a problem differently.
 */
export const TASK_SUBMISSION_MESSAGES = {
  taskType: 'task_type must be 1-100 letters, digits or _.:/- and start with a letter or digit',
  priority: 'priority must be an integer',
  capability: 'each capability must be 1-64 letters, digits or _.:/- and start with a letter or digit',
  dependsOn: 'each depends_on entry must be a task id or a ref from the same batch',
  dependencyType: `dependency_type must be one of ${DEPENDENCY_TYPES.join(', ')}`,
  maxAttempts: 'max_attempts must be an integer',
  timeoutMs: 'timeout_ms must be an integer',
  ref: 'ref must be 1-64 letters, digits or _.:-',
  batchMax: `a batch holds at most ${TASK_BATCH_MAX} tasks`,
  redundancy: 'redundancy must be an integer',
  consensus: 'consensus must be an object',
  pipeline: 'pipeline must be a boolean value',
  leaderElection: 'leader_election must be an integer (the number of collaborators)',
} as const;
const M = TASK_SUBMISSION_MESSAGES;

export class SubmitTaskDto {
  @ApiProperty({ example: 'summarise', description: 'Matched against the handlers agents register' })
  @IsString() @Matches(TASK_TYPE_PATTERN, { message: M.taskType })
  task_type!: string;

  @ApiPropertyOptional({ description: 'Any JSON value, handed to the agent as is (size-limited)', example: { text: 'hello' } })
  @IsOptional()
  payload?: unknown;

  @ApiPropertyOptional({ minimum: TASK_PRIORITY.min, maximum: TASK_PRIORITY.max, default: TASK_PRIORITY.default, description: 'Higher runs first' })
  @IsOmittable() @IsInt({ message: M.priority }) @Min(TASK_PRIORITY.min) @Max(TASK_PRIORITY.max)
  priority?: number;

  @ApiPropertyOptional({ type: [String], example: ['gpu'], description: 'Only agents with all of these capabilities may run it' })
  @IsOmittable() @IsArray() @ArrayMaxSize(TASK_CAPABILITIES_MAX)
  @Matches(TASK_CAPABILITY_PATTERN, { each: true, message: M.capability })
  required_capabilities?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Task ids (same swarm) or refs of tasks in the same batch that must finish first' })
  @IsOmittable() @IsArray() @ArrayMaxSize(TASK_DEPENDENCIES_MAX)
  @Matches(TASK_DEPENDENCY_PATTERN, { each: true, message: M.dependsOn })
  depends_on?: string[];

  @ApiPropertyOptional({ enum: DEPENDENCY_TYPES, default: 'success', description: 'success: run only if every dependency completed; completion: run once they are final, whatever the outcome' })
  @IsOmittable() @IsIn(DEPENDENCY_TYPES, { message: M.dependencyType })
  dependency_type?: DependencyType;

  @ApiPropertyOptional({ minimum: TASK_MAX_ATTEMPTS.min, maximum: TASK_MAX_ATTEMPTS.max, description: 'Default: the swarm configuration max_task_attempts' })
  @IsOmittable() @IsInt({ message: M.maxAttempts }) @Min(TASK_MAX_ATTEMPTS.min) @Max(TASK_MAX_ATTEMPTS.max)
  max_attempts?: number;

  @ApiPropertyOptional({ minimum: TASK_TIMEOUT_MS.min, maximum: TASK_TIMEOUT_MS.max, description: 'Per attempt, from the agent acknowledging it. Default: the swarm task_timeout_ms' })
  @IsOmittable() @IsInt({ message: M.timeoutMs }) @Min(TASK_TIMEOUT_MS.min) @Max(TASK_TIMEOUT_MS.max)
  timeout_ms?: number;

  @ApiPropertyOptional({ example: 'invoice-42', description: 'Submitting the same key again returns the first task, however long ago' })
  @IsOmittable() @IsString() @Length(TASK_IDEMPOTENCY_KEY_LENGTH.min, TASK_IDEMPOTENCY_KEY_LENGTH.max)
  idempotency_key?: string;

  @ApiPropertyOptional({
    minimum: 2,
    maximum: 10,
    description: 'Run it on this many distinct agents and decide its result by a vote over theirs (see consensus)',
  })
  @IsOmittable() @IsInt({ message: M.redundancy }) @Min(2) @Max(10)
  redundancy?: number;

  @ApiPropertyOptional({
    description: 'With redundancy: {algorithm: majority|super_majority|unanimous|weighted (default majority), threshold (super_majority), match_field (a dotted path; default: whole results must be equal)}',
    example: { algorithm: 'majority', match_field: 'label' },
  })
  @IsOmittable() @IsObject({ message: M.consensus })
  consensus?: { algorithm?: string; threshold?: number; match_field?: string };

  @ApiPropertyOptional({ description: 'Ring swarms: the task travels the ring from the leader, each live member once, each output the next one\'s payload; the last output is the result' })
  @IsOmittable() @IsBoolean({ message: M.pipeline })
  pipeline?: boolean;

  @ApiPropertyOptional({
    minimum: 2,
    maximum: 10,
    description: 'Elect a leader among this many distinct live agents to run it; the others then verify its result (task type + ".verify", payload {task, leader: {agent_id, task_id, result}}); the result stands once a strict majority of them approve',
  })
  @IsOmittable() @IsInt({ message: M.leaderElection }) @Min(2) @Max(10)
  leader_election?: number;

  @ApiPropertyOptional({ example: 'fetch', description: 'A name other tasks of the same batch use in depends_on' })
  @IsOmittable() @IsString() @Matches(TASK_REF_PATTERN, { message: M.ref })
  ref?: string;
}

export class SubmitTaskBatchDto {
  @ApiProperty({ type: [SubmitTaskDto], minItems: 1, maxItems: TASK_BATCH_MAX })
  @IsDefined() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(TASK_BATCH_MAX, { message: M.batchMax })
  @ValidateNested({ each: true }) @Type(() => SubmitTaskDto)
  tasks!: SubmitTaskDto[];
}

export class ListTasksQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional() @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;

  @ApiPropertyOptional({ description: 'Only tasks of this type' })
  @IsOptional() @IsString() @Matches(TASK_TYPE_PATTERN, { message: 'task_type must be a task type' })
  task_type?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only tasks assigned to this agent (current attempt)' })
  @IsOptional() @IsUUID('all', { message: 'agent_id must be a UUID' })
  agent_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be an integer' }) @Min(1) @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional() @IsUUID('all', { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class TaskDependencyView {
  @ApiProperty({ format: 'uuid' }) task_id!: string;
  @ApiProperty({ enum: DEPENDENCY_TYPES }) type!: DependencyType;
}

export class TaskAttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) agent_id!: string | null;
  @ApiProperty({ description: 'The attempt\'s fencing token (a string: it may exceed 2^53)' }) fencing_token!: string;
  @ApiProperty({ enum: ['assigned', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'superseded'] }) status!: string;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) retryable!: boolean | null;
  @ApiProperty({ type: String, format: 'date-time' }) assigned_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finished_at!: string | null;
}

export class TaskView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty() task_type!: string;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty() priority!: number;
  @ApiProperty({ description: 'Any JSON value' }) payload!: unknown;
  @ApiProperty({ type: [String] }) required_capabilities!: string[];
  @ApiProperty({ type: [TaskDependencyView] }) depends_on!: TaskDependencyView[];
  @ApiProperty() max_attempts!: number;
  @ApiProperty() attempt_count!: number;
  @ApiProperty() timeout_ms!: number;
  @ApiProperty({ type: String, nullable: true }) idempotency_key!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) assigned_agent_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the task waits (dependencies, no eligible agent, retry backoff)' }) wait_reason!: string | null;
  @ApiProperty({ nullable: true, description: 'The result the agent returned' }) result!: unknown;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Last progress the agent reported, 0-100' }) progress!: number | null;
  @ApiProperty({ type: String, nullable: true }) progress_message!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) queued_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) assigned_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completed_at!: string | null;
  @ApiPropertyOptional({ type: [TaskAttemptView], description: 'Only on GET /swarms/:id/tasks/:taskId' }) attempts?: TaskAttemptView[];
  @ApiPropertyOptional({ format: 'uuid', description: 'Replicas only: the redundant task this one is a run of' }) parent_task_id?: string;
  @ApiPropertyOptional({ description: 'Redundant tasks only: {replicas, algorithm, threshold, match_field, agents}' }) redundancy?: unknown;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Redundant tasks only, once decided: the vote (status, reason, confidence, groups of agreeing agents) and every replica with its agent, status and result',
  })
  consensus?: unknown;
  @ApiPropertyOptional({ description: 'Pipelines only: {path (ring order), stages: [{agent_id, task_id, status}]}' }) pipeline?: unknown;
  @ApiPropertyOptional({ description: 'Leader-elected tasks only: {collaborators, leader, leader_task_id, election {leader, reason, ranking}, former_leaders, verifiers: [{agent_id, task_id, status, verdict, reason}]}' })
  verification?: unknown;
}

export class TaskBatchView {
  @ApiProperty({ type: [TaskView], description: 'In the order submitted; a repeated idempotency key gives the existing task' })
  tasks!: TaskView[];
}

export class TaskPageView {
  @ApiProperty({ type: [TaskView] }) items!: TaskView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

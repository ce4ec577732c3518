import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsOmittable } from './validation';
import { REPORTABLE_AGENT_STATUSES, ReportableAgentStatus } from './agent-socket';

/** Socket payloads are validated exactly like REST bodies (unknown fields refused). */
export class RegisterMessage {
  @IsOmittable() @IsArray() @ArrayMaxSize(64)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/, { each: true, message: 'each capability must be 1-64 letters, digits or _.:/-' })
  capabilities?: string[];

  @IsOmittable() @IsObject()
  metadata?: Record<string, unknown>;
}

export class HeartbeatMessage {
  @IsIn(REPORTABLE_AGENT_STATUSES, { message: `status must be one of ${REPORTABLE_AGENT_STATUSES.join(', ')}` })
  status!: ReportableAgentStatus;

  @IsOmittable() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(100_000)
  cpu_percent?: number;

  @IsOmittable() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(10_000_000)
  memory_mb?: number;

  @IsOmittable() @IsInt() @Min(0) @Max(1_000_000)
  queue_depth?: number;

  @IsOptional() @IsUUID('all', { message: 'current_task_id must be a UUID or null' })
  current_task_id?: string | null;
}

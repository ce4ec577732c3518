import { ArrayMaxSize, IsArray, IsBoolean, IsObject, Matches } from 'class-validator';
import { IsOmittable } from './validation';

/** Socket payloads are validated exactly like REST bodies (unknown fields refused). Heartbeats: see heartbeat-validation.ts. */
export class RegisterMessage {
  @IsOmittable() @IsArray() @ArrayMaxSize(64)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/, { each: true, message: 'each capability must be 1-64 letters, digits or _.:/-' })
  capabilities?: string[];

  @IsOmittable() @IsObject()
  metadata?: Record<string, unknown>;

  @IsOmittable() @IsBoolean()
  accepts_task_batches?: boolean;
}

import type { AckError } from '@swarm/contracts';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describeValidationErrors } from '../common/validation';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: AckError };

/** The same rules as the REST ValidationPipe (whitelist, forbid unknown), answered as an ack error. */
export function validateMessage<T extends object>(type: new () => T, payload: unknown): Validated<T> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, error: { code: 'validation_failed', message: 'payload must be a JSON object' } };
  }
  const instance = plainToInstance(type, payload);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const details = describeValidationErrors(errors);
    return { ok: false, error: { code: 'validation_failed', message: details.join('; '), details } };
  }
  return { ok: true, value: instance };
}

import { randomUUID } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { uniqueViolationTarget, isRecordNotFound } from '@swarm/db';
import { DomainError, DomainErrorCode } from '@swarm/domain';
import { ErrorBody, errorBody } from './error-body';
import { RequestValidationError } from './validation';

const STATUS_BY_DOMAIN_CODE: Record<DomainErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
};

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Set when the error is ours, not the caller's: it must be logged with its id. */
  unexpected?: unknown;
}

/** Turns anything thrown while serving a request into a status and the one error shape. */
export function mapError(error: unknown, bodyLimitBytes: number): MappedError {
  if (error instanceof RequestValidationError) {
    return { status: 400, body: errorBody(400, error.message, { code: 'validation_failed', details: error.problems }) };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    // Fastify's body-parser errors reach us wrapped by Nest as plain HttpExceptions.
    if (status === 413) {
      return { status, body: errorBody(status, `request body is larger than the limit of ${bodyLimitBytes} bytes`) };
    }
    return { status, body: errorBody(status, message) };
  }
  if (error instanceof DomainError) {
    const status = STATUS_BY_DOMAIN_CODE[error.code];
    const details = Array.isArray(error.details) ? error.details.map(String) : undefined;
    return { status, body: errorBody(status, error.message, { code: error.code, details }) };
  }
  const uniqueTarget = uniqueViolationTarget(error);
  if (uniqueTarget) {
    const fields = uniqueTarget.length ? ` (${uniqueTarget.join(', ')})` : '';
    return { status: 409, body: errorBody(409, `a resource with the same unique value${fields} already exists`, { code: 'conflict' }) };
  }
  if (isRecordNotFound(error)) {
    return { status: 404, body: errorBody(404, 'the resource was not found', { code: 'not_found' }) };
  }
  const errorId = randomUUID();
  return {
    status: 500,
    body: errorBody(500, 'internal error; quote error_id when reporting it', { error_id: errorId }),
    unexpected: error,
  };
}

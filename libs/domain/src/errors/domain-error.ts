/**
 * Errors raised by use-cases in both the api and the worker. They carry a code, never an
 * HTTP status: the api maps codes to statuses at its edge, the worker logs or retries.
 */
export type DomainErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthenticated'
  | 'precondition_failed';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', message, details);
  }
}

export class NotFound extends DomainError {
  constructor(resource: string, id: string) {
    super('not_found', `${resource} ${id} was not found`);
  }
}

export class Conflict extends DomainError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

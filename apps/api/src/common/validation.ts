import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Flattens nested class-validator errors into "path: problem" lines. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator phrases unknown fields as "property x should not exist"; keep the full path.
      message.startsWith(`property ${error.property} `) ? message.replace(`property ${error.property} `, `property ${path} `) : `${path}: ${message}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

export class RequestValidationError extends BadRequestException {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Unknown fields are an error, not silently dropped: a typo must not look like success. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(describeValidationErrors(errors)),
  });
}

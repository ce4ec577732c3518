import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';

/** A path id that is not a UUID can never exist: say which parameter is wrong. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) });
}

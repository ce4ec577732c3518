import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; message names each problem',
  401: 'Missing, unknown or revoked credentials',
  403: 'Your role does not allow this',
  404: 'Not found (or owned by someone else)',
  409: 'Conflicts with the current state or an existing resource',
  413: 'Body larger than the limit',
};

/** Documents error statuses with the shared error shape. */
export function ApiErrorResponses(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorBody })),
  );
}

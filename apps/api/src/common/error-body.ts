import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one error shape every endpoint returns. */
export class ErrorBody {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'property colour should not exist' })
  message!: string;

  @ApiPropertyOptional({ description: 'Machine-readable code', example: 'validation_failed' })
  code?: string;

  @ApiPropertyOptional({ description: 'Every problem found, when there are several', type: [String] })
  details?: string[];

  @ApiPropertyOptional({ description: 'On 500s only: quote it when reporting the problem; it is in the logs' })
  error_id?: string;
}

export function errorBody(statusCode: number, message: string, extra: Partial<ErrorBody> = {}): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extra };
}

import { NonRetryableTaskError } from '@swarm/agent-sdk';
import type { z } from 'zod';

/**
 * Checks a task's payload against what the executor needs. A payload that does not fit fails
 * the task for good: running it again, here or on another agent, gives the same answer.
 */
export function parsePayload<Schema extends z.ZodType>(schema: Schema, payload: unknown): z.output<Schema> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${['payload', ...issue.path].join('.')}: ${issue.message}`);
  throw new NonRetryableTaskError(`invalid payload: ${problems.join('; ')}`);
}

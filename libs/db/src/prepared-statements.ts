import { createHash } from 'node:crypto';

/** Distinct statement texts given a name, per process; beyond it statements go unnamed. */
const MAX_NAMED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

/**
 * A name for a statement's text, so each connection parses (and, once Postgres settles on a
 * generic plan, plans) it once instead of at every execution: the engine's CTE statements cost
 * Postgres more to parse and plan than to run on a batch. Same text → same name; bounded, so
 * texts built per call (IN lists of varying length) cannot grow it without limit.
 */
export function preparedStatementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known !== undefined || statementNames.size >= MAX_NAMED_STATEMENTS) return known;
  const name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  statementNames.set(text, name);
  return name;
}

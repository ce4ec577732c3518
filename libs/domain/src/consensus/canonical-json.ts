import { ValidationFailed } from '../errors/domain-error';

/**
 * JSON with object keys sorted at every depth, so {a:1,b:2} and {b:2,a:1} are the same text:
 * two agents producing the same value must be seen as agreeing whatever order they built it in.
 * Follows JSON.stringify otherwise (undefined properties dropped, NaN becomes null).
 * Throws ValidationFailed for what JSON cannot carry: undefined, functions, bigint, cycles.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, new Set()));
}

export function jsonEquals(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sortKeys(value: unknown, ancestors: Set<object>): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new ValidationFailed(`a ${typeof value} is not a JSON value`);
  }
  if (typeof value === 'bigint') throw new ValidationFailed('a bigint is not a JSON value');
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) throw new ValidationFailed('a value that contains itself is not JSON-serialisable');
  // toJSON first (Date and friends), as JSON.stringify would.
  const asJson = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON: () => unknown }).toJSON() : value;
  if (asJson !== value) return sortKeys(asJson, ancestors);

  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => (item === undefined || typeof item === 'function' ? null : sortKeys(item, ancestors)));
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
      sorted[key] = sortKeys(child, ancestors);
    }
    return sorted;
  } finally {
    ancestors.delete(value);
  }
}

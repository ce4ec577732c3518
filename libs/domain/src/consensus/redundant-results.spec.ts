import { ValidationFailed } from '../errors/domain-error';
import { decideRedundantResults, valueAtPath } from './redundant-results';

const exact = { match: { kind: 'exact' as const } };
const field = (path: string) => ({ match: { kind: 'field' as const, field: path } });

describe('decideRedundantResults', () => {
  it('exact: the majority of canonically equal results wins, key order aside', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'a1', result: { answer: 42, unit: 'm' } },
        { agentId: 'a2', result: { unit: 'm', answer: 42 } },
        { agentId: 'a3', result: { answer: 41, unit: 'm' } },
      ],
      exact,
    );
    expect(outcome).toMatchObject({ reached: true, status: 'decided', result: { answer: 42, unit: 'm' } });
    expect(outcome.confidence).toBeCloseTo(2 / 3);
    expect(outcome.groups.map((g) => g.agentIds)).toEqual([['a1', 'a2'], ['a3']]);
  });

  it('exact: three different results are a three-way tie', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'a1', result: 1 },
        { agentId: 'a2', result: 2 },
        { agentId: 'a3', result: 3 },
      ],
      exact,
    );
    expect(outcome).toMatchObject({ reached: false, status: 'not_reached', reason: 'tie', result: undefined });
  });

  it('field: groups by a dotted path and returns the first reporter’s whole result', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'a1', result: { output: { label: 'cat' }, latencyMs: 120 } },
        { agentId: 'a2', result: { output: { label: 'dog' }, latencyMs: 80 } },
        { agentId: 'a3', result: { output: { label: 'cat' }, latencyMs: 95 } },
      ],
      field('output.label'),
    );
    expect(outcome).toMatchObject({ reached: true, result: { output: { label: 'cat' }, latencyMs: 120 } });
    expect(outcome.groups[0]).toMatchObject({ matched: 'cat', agentIds: ['a1', 'a3'], weight: 2 });
  });

  it('field: results missing the field do not vote, and never agree with each other', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'a1', result: { error: 'boom' } },
        { agentId: 'a2', result: { error: 'boom' } },
        { agentId: 'a3', result: { label: 'cat' } },
      ],
      field('label'),
    );
    expect(outcome).toMatchObject({ reached: false, reason: 'no_quorum', unmatched: ['a1', 'a2'] });
  });

  it('unanimous: one dissenting agent prevents consensus', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'a1', result: 'x' },
        { agentId: 'a2', result: 'x' },
        { agentId: 'a3', result: 'y' },
      ],
      { ...exact, algorithm: 'unanimous' },
    );
    expect(outcome).toMatchObject({ reached: false, reason: 'not_unanimous' });
  });

  it('weighted: a proven agent outvotes two unproven ones', () => {
    const outcome = decideRedundantResults(
      [
        { agentId: 'pro', result: 'x' },
        { agentId: 'n1', result: 'y' },
        { agentId: 'n2', result: 'y' },
      ],
      { ...exact, algorithm: 'weighted', successRates: { pro: 0.9, n1: 0.2, n2: 0.3 } },
    );
    expect(outcome).toMatchObject({ reached: true, result: 'x' });
  });

  it('counts an agent reporting twice once, and decides early against assigned agents still running', () => {
    const results = [
      { agentId: 'a1', result: 'x' },
      { agentId: 'a1', result: 'y' },
      { agentId: 'a2', result: 'x' },
    ];
    expect(decideRedundantResults(results, { ...exact, assignedAgents: ['a1', 'a2', 'a3'] })).toMatchObject({ reached: true, result: 'x' });
    expect(decideRedundantResults(results, { ...exact, assignedAgents: ['a1', 'a2', 'a3', 'a4', 'a5'] })).toMatchObject({ reached: false, status: 'pending' });
  });

  it('rejects an empty field path and no results', () => {
    expect(() => decideRedundantResults([{ agentId: 'a', result: 1 }], field(' '))).toThrow(ValidationFailed);
    expect(() => decideRedundantResults([], exact)).toThrow(ValidationFailed);
  });
});

describe('valueAtPath', () => {
  it('walks objects and arrays by own properties only', () => {
    expect(valueAtPath({ items: [{ id: 'q' }] }, 'items.0.id')).toEqual({ found: true, value: 'q' });
    expect(valueAtPath({ a: null }, 'a')).toEqual({ found: true, value: null });
    expect(valueAtPath({ a: {} }, 'a.toString')).toEqual({ found: false });
    expect(valueAtPath('text', 'length')).toEqual({ found: false });
  });
});

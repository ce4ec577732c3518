import { ValidationFailed } from '../errors/domain-error';
import { DEFAULT_SWARM_CONFIGURATION, readStoredConfiguration, resolveSwarmConfiguration } from './swarm-configuration';

describe('resolveSwarmConfiguration', () => {
  it('fills every setting with its default when nothing is given', () => {
    expect(resolveSwarmConfiguration()).toEqual(DEFAULT_SWARM_CONFIGURATION);
    expect(DEFAULT_SWARM_CONFIGURATION.heartbeat_timeout_ms).toBe(3 * DEFAULT_SWARM_CONFIGURATION.heartbeat_interval_ms);
  });

  it('treats a null request as "nothing requested"', () => {
    expect(resolveSwarmConfiguration(null)).toEqual(DEFAULT_SWARM_CONFIGURATION);
  });

  it('keeps given values and defaults the rest', () => {
    const config = resolveSwarmConfiguration({ max_agents: 7, distribution_algorithm: 'round_robin' });
    expect(config.max_agents).toBe(7);
    expect(config.distribution_algorithm).toBe('round_robin');
    expect(config.min_agents).toBe(DEFAULT_SWARM_CONFIGURATION.min_agents);
  });

  it('derives the heartbeat timeout from a new interval unless the timeout is given too', () => {
    expect(resolveSwarmConfiguration({ heartbeat_interval_ms: 2_000 }).heartbeat_timeout_ms).toBe(6_000);
    expect(resolveSwarmConfiguration({ heartbeat_interval_ms: 2_000, heartbeat_timeout_ms: 9_000 }).heartbeat_timeout_ms).toBe(9_000);
  });

  it('merges an update over the current configuration', () => {
    const current = resolveSwarmConfiguration({ max_agents: 50, task_timeout_ms: 1_000 });
    const next = resolveSwarmConfiguration({ max_agents: 60 }, current);
    expect(next).toEqual({ ...current, max_agents: 60 });
  });

  it('ignores explicitly undefined fields instead of erasing settings', () => {
    const current = resolveSwarmConfiguration({ max_agents: 50 });
    expect(resolveSwarmConfiguration({ max_agents: undefined }, current).max_agents).toBe(50);
  });

  it('rejects min_agents above max_agents, naming both', () => {
    expect(() => resolveSwarmConfiguration({ min_agents: 10, max_agents: 5 })).toThrow(
      /min_agents \(10\) must not exceed max_agents \(5\)/,
    );
  });

  it('rejects a timeout that is not longer than the interval', () => {
    expect(() => resolveSwarmConfiguration({ heartbeat_interval_ms: 5_000, heartbeat_timeout_ms: 5_000 })).toThrow(
      ValidationFailed,
    );
  });

  it('rejects out-of-bounds and non-integer values with every problem listed', () => {
    try {
      resolveSwarmConfiguration({ max_agents: 0, max_task_attempts: 2.5 });
      fail('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationFailed);
      const details = (error as ValidationFailed).details as string[];
      expect(details).toEqual(
        expect.arrayContaining([
          'max_agents must be an integer between 1 and 10000',
          'max_task_attempts must be an integer between 1 and 20',
        ]),
      );
    }
  });

  it('rejects an unknown distribution algorithm', () => {
    expect(() => resolveSwarmConfiguration({ distribution_algorithm: 'random' as never })).toThrow(/distribution_algorithm must be one of/);
  });
});

describe('readStoredConfiguration', () => {
  it('fills settings missing from older rows with defaults', () => {
    expect(readStoredConfiguration({ max_agents: 3 })).toEqual({ ...DEFAULT_SWARM_CONFIGURATION, max_agents: 3 });
    expect(readStoredConfiguration(null)).toEqual(DEFAULT_SWARM_CONFIGURATION);
  });
});

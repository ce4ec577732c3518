import { ValidationFailed } from '../errors/domain-error';
import { DEFAULT_MAX_CHILDREN_PER_PARENT } from '../topology/topology.types';
import { DISTRIBUTION_ALGORITHMS, DistributionAlgorithm, SwarmConfiguration } from './swarm.types';

interface IntegerBounds {
  min: number;
  max: number;
}

/** Bounds shared by the REST validation layer and the domain, so both say the same thing. */
export const SWARM_CONFIGURATION_BOUNDS = {
  min_agents: { min: 0, max: 10_000 },
  max_agents: { min: 1, max: 10_000 },
  heartbeat_interval_ms: { min: 500, max: 300_000 },
  heartbeat_timeout_ms: { min: 1_000, max: 3_600_000 },
  failover_grace_ms: { min: 0, max: 3_600_000 },
  task_timeout_ms: { min: 100, max: 86_400_000 },
  max_task_attempts: { min: 1, max: 20 },
  max_children_per_parent: { min: 1, max: 100 },
} as const satisfies Record<string, IntegerBounds>;

type IntegerSetting = keyof typeof SWARM_CONFIGURATION_BOUNDS;

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** Three missed beats: one lost packet or a GC pause must not fail an agent. */
export const HEARTBEAT_TIMEOUT_FACTOR = 3;

export const DEFAULT_SWARM_CONFIGURATION: Readonly<SwarmConfiguration> = Object.freeze({
  min_agents: 1,
  max_agents: 100,
  heartbeat_interval_ms: DEFAULT_HEARTBEAT_INTERVAL_MS,
  heartbeat_timeout_ms: DEFAULT_HEARTBEAT_INTERVAL_MS * HEARTBEAT_TIMEOUT_FACTOR,
  failover_grace_ms: 30_000,
  task_timeout_ms: 300_000,
  max_task_attempts: 3,
  distribution_algorithm: 'least_loaded',
  max_children_per_parent: DEFAULT_MAX_CHILDREN_PER_PARENT,
});

export type SwarmConfigurationInput = Partial<SwarmConfiguration>;

/**
 * Merges a (partial) requested configuration over the current one (or the defaults) and
 * checks bounds and cross-field rules. When the interval changes but the timeout is not
 * given, the timeout follows the interval instead of keeping a now-meaningless value.
 */
export function resolveSwarmConfiguration(
  requested: SwarmConfigurationInput | null = {},
  current: SwarmConfiguration = DEFAULT_SWARM_CONFIGURATION,
): SwarmConfiguration {
  requested ??= {};
  const timeoutFollowsInterval =
    requested.heartbeat_interval_ms !== undefined && requested.heartbeat_timeout_ms === undefined;
  const merged: SwarmConfiguration = {
    ...current,
    ...definedOnly(requested),
  };
  if (timeoutFollowsInterval) {
    merged.heartbeat_timeout_ms = merged.heartbeat_interval_ms * HEARTBEAT_TIMEOUT_FACTOR;
  }
  const problems = [...boundProblems(merged), ...crossFieldProblems(merged)];
  if (problems.length > 0) {
    throw new ValidationFailed(`Invalid swarm configuration: ${problems.join('; ')}`, problems);
  }
  return merged;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function boundProblems(config: SwarmConfiguration): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(SWARM_CONFIGURATION_BOUNDS) as IntegerSetting[]) {
    const { min, max } = SWARM_CONFIGURATION_BOUNDS[key];
    const value = config[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer between ${min} and ${max}`);
    }
  }
  if (!isDistributionAlgorithm(config.distribution_algorithm)) {
    problems.push(`distribution_algorithm must be one of ${DISTRIBUTION_ALGORITHMS.join(', ')}`);
  }
  return problems;
}

function crossFieldProblems(config: SwarmConfiguration): string[] {
  const problems: string[] = [];
  if (config.min_agents > config.max_agents) {
    problems.push(`min_agents (${config.min_agents}) must not exceed max_agents (${config.max_agents})`);
  }
  if (config.heartbeat_timeout_ms <= config.heartbeat_interval_ms) {
    problems.push(
      `heartbeat_timeout_ms (${config.heartbeat_timeout_ms}) must be greater than heartbeat_interval_ms (${config.heartbeat_interval_ms})`,
    );
  }
  return problems;
}

export function isDistributionAlgorithm(value: unknown): value is DistributionAlgorithm {
  return typeof value === 'string' && (DISTRIBUTION_ALGORITHMS as readonly string[]).includes(value);
}

/** Reads a stored configuration, tolerating rows written before a setting existed. */
export function readStoredConfiguration(stored: unknown): SwarmConfiguration {
  const value = stored && typeof stored === 'object' ? (stored as SwarmConfigurationInput) : {};
  return { ...DEFAULT_SWARM_CONFIGURATION, ...definedOnly(value) };
}

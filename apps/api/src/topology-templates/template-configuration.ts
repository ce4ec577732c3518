import {
  DEFAULT_SWARM_CONFIGURATION,
  resolveSwarmConfiguration,
  SwarmConfiguration,
  SwarmConfigurationInput,
  ValidationFailed,
} from '@swarm/domain';

const SETTING_NAMES = Object.keys(DEFAULT_SWARM_CONFIGURATION) as (keyof SwarmConfiguration)[];

/**
 * A template keeps only the settings it names, not a full configuration: a swarm created from
 * it later takes the defaults of that time for everything else.
 */
export function readTemplateSettings(stored: unknown): SwarmConfigurationInput {
  const value = stored && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const settings: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    if (value[name] !== undefined && value[name] !== null) settings[name] = value[name];
  }
  return settings as SwarmConfigurationInput;
}

/**
 * Merges requested settings into a template's and checks the result with the rules of a swarm
 * configuration (the defaults fill the gaps), so a template can never produce a swarm that
 * would be refused. As for swarms, a new heartbeat interval without a timeout lets the timeout
 * follow the interval instead of keeping a stale one.
 */
export function mergeTemplateSettings(current: SwarmConfigurationInput, requested: SwarmConfigurationInput = {}): SwarmConfigurationInput {
  const merged: SwarmConfigurationInput = { ...current, ...readTemplateSettings(requested) };
  if (requested.heartbeat_interval_ms !== undefined && requested.heartbeat_timeout_ms === undefined) {
    delete merged.heartbeat_timeout_ms;
  }
  try {
    resolveSwarmConfiguration(merged);
  } catch (error) {
    if (error instanceof ValidationFailed) {
      const problems = (error.details as string[] | undefined) ?? [];
      throw new ValidationFailed(`Invalid template configuration: ${problems.join('; ')}`, problems);
    }
    throw error;
  }
  return merged;
}

/** A swarm created from a template: defaults, then the template's settings, then the request's. */
export function swarmConfigurationFromTemplate(templateSettings: SwarmConfigurationInput, requested?: SwarmConfigurationInput): SwarmConfiguration {
  return resolveSwarmConfiguration(requested, resolveSwarmConfiguration(templateSettings));
}

import { DEFAULT_SWARM_CONFIGURATION, ValidationFailed } from '@swarm/domain';
import { mergeTemplateSettings, readTemplateSettings, swarmConfigurationFromTemplate } from './template-configuration';

describe('template configuration', () => {
  it('keeps only known, set settings from what is stored', () => {
    expect(readTemplateSettings({ max_agents: 5, turbo: true, min_agents: null })).toEqual({ max_agents: 5 });
    expect(readTemplateSettings(null)).toEqual({});
    expect(readTemplateSettings([1, 2])).toEqual({});
  });

  it('merges requested settings into the template and keeps them partial', () => {
    expect(mergeTemplateSettings({ max_agents: 5 }, { distribution_algorithm: 'affinity' })).toEqual({ max_agents: 5, distribution_algorithm: 'affinity' });
  });

  it('lets the timeout follow a new interval instead of keeping a stale one', () => {
    const merged = mergeTemplateSettings({ heartbeat_interval_ms: 1_000, heartbeat_timeout_ms: 2_000 }, { heartbeat_interval_ms: 4_000 });
    expect(merged).toEqual({ heartbeat_interval_ms: 4_000 });
    expect(swarmConfigurationFromTemplate(merged).heartbeat_timeout_ms).toBe(12_000);
  });

  it('refuses settings a swarm would refuse, naming them', () => {
    expect(() => mergeTemplateSettings({}, { min_agents: 500 })).toThrow(ValidationFailed);
    expect(() => mergeTemplateSettings({}, { min_agents: 500 })).toThrow(/^Invalid template configuration: min_agents \(500\) must not exceed max_agents \(100\)$/);
  });

  it('builds a swarm configuration: defaults, then the template, then the request', () => {
    const configuration = swarmConfigurationFromTemplate({ max_children_per_parent: 5, max_agents: 20 }, { max_agents: 30 });
    expect(configuration).toEqual({ ...DEFAULT_SWARM_CONFIGURATION, max_children_per_parent: 5, max_agents: 30 });
  });
});

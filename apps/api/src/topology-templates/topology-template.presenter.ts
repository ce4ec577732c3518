import type { TopologyTemplateView } from '@swarm/contracts';
import type { TopologyTemplate } from '@swarm/db';
import { readTemplateSettings } from './template-configuration';

export function presentTopologyTemplate(template: TopologyTemplate): TopologyTemplateView {
  return {
    id: template.id,
    name: template.name,
    description: template.description,
    topology: template.topology,
    configuration: readTemplateSettings(template.configuration),
    is_system: template.isSystem,
    created_at: template.createdAt.toISOString(),
    updated_at: template.updatedAt.toISOString(),
  };
}

import { Injectable } from '@nestjs/common';
import { Page, TopologyTemplate, TopologyTemplateFilter, TopologyTemplateRepository } from '@swarm/db';
import { NotFound } from '@swarm/domain';

export const DEFAULT_PAGE_SIZE = 20;

@Injectable()
export class GetTopologyTemplate {
  constructor(private readonly templates: TopologyTemplateRepository) {}

  async execute(ownerId: string, templateId: string): Promise<TopologyTemplate> {
    const template = await this.templates.findVisible(ownerId, templateId);
    if (!template) throw new NotFound('topology template', templateId);
    return template;
  }
}

@Injectable()
export class ListTopologyTemplates {
  constructor(private readonly templates: TopologyTemplateRepository) {}

  execute(ownerId: string, filter: TopologyTemplateFilter, limit = DEFAULT_PAGE_SIZE, cursor?: string): Promise<Page<TopologyTemplate>> {
    return this.templates.listVisible(ownerId, filter, { limit, cursor });
  }
}

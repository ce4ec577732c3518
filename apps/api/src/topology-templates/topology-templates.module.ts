import { Module } from '@nestjs/common';
import { TopologyTemplatesController } from './topology-templates.controller';
import { CreateTopologyTemplate } from './use-cases/create-topology-template';
import { DeleteTopologyTemplate } from './use-cases/delete-topology-template';
import { GetTopologyTemplate, ListTopologyTemplates } from './use-cases/query-topology-templates';
import { UpdateTopologyTemplate } from './use-cases/update-topology-template';

/** Topology templates over REST: the shared system ones (read-only) and each owner's own. */
@Module({
  controllers: [TopologyTemplatesController],
  providers: [CreateTopologyTemplate, UpdateTopologyTemplate, DeleteTopologyTemplate, GetTopologyTemplate, ListTopologyTemplates],
})
export class TopologyTemplatesModule {}

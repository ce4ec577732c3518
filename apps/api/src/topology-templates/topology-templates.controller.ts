import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@swarm/auth';
import {
  CreateTopologyTemplateDto,
  ListTopologyTemplatesQuery,
  TopologyTemplatePageView,
  TopologyTemplateView,
  UpdateTopologyTemplateDto,
} from '@swarm/contracts';
import { Actor, CurrentActor, CurrentPrincipal } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentTopologyTemplate } from './topology-template.presenter';
import { CreateTopologyTemplate } from './use-cases/create-topology-template';
import { DeleteTopologyTemplate } from './use-cases/delete-topology-template';
import { GetTopologyTemplate, ListTopologyTemplates } from './use-cases/query-topology-templates';
import { UpdateTopologyTemplate } from './use-cases/update-topology-template';

const uuid = uuidParam('templateId');

@ApiTags('topology-templates')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/topology-templates')
export class TopologyTemplatesController {
  constructor(
    private readonly createTemplate: CreateTopologyTemplate,
    private readonly updateTemplate: UpdateTopologyTemplate,
    private readonly deleteTemplate: DeleteTopologyTemplate,
    private readonly getTemplate: GetTopologyTemplate,
    private readonly listTemplates: ListTopologyTemplates,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a topology template of your own (operator)' })
  @ApiCreatedResponse({ type: TopologyTemplateView })
  @ApiErrorResponses(409, 413)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateTopologyTemplateDto): Promise<TopologyTemplateView> {
    return presentTopologyTemplate(await this.createTemplate.execute({ actor, ...body }));
  }

  @Get()
  @ApiOperation({ summary: 'List the system templates and your own, newest first, with cursor paging' })
  @ApiOkResponse({ type: TopologyTemplatePageView })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListTopologyTemplatesQuery): Promise<TopologyTemplatePageView> {
    const page = await this.listTemplates.execute(principal.ownerId, { topology: query.topology }, query.limit, query.cursor);
    return { items: page.items.map(presentTopologyTemplate), next_cursor: page.nextCursor };
  }

  @Get(':templateId')
  @ApiOperation({ summary: 'Get a system template or one of yours' })
  @ApiOkResponse({ type: TopologyTemplateView })
  @ApiErrorResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('templateId', uuid) templateId: string): Promise<TopologyTemplateView> {
    return presentTopologyTemplate(await this.getTemplate.execute(principal.ownerId, templateId));
  }

  @Put(':templateId')
  @ApiOperation({ summary: 'Update one of your templates (fields left out are kept; configuration settings merge). System templates are read-only' })
  @ApiOkResponse({ type: TopologyTemplateView })
  @ApiErrorResponses(404, 409, 413)
  async update(
    @CurrentActor() actor: Actor,
    @Param('templateId', uuid) templateId: string,
    @Body() body: UpdateTopologyTemplateDto,
  ): Promise<TopologyTemplateView> {
    return presentTopologyTemplate(await this.updateTemplate.execute({ actor, templateId, ...body }));
  }

  @Delete(':templateId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your templates; swarms created from it keep their settings' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(404)
  async remove(@CurrentActor() actor: Actor, @Param('templateId', uuid) templateId: string): Promise<void> {
    await this.deleteTemplate.execute(actor, templateId);
  }
}

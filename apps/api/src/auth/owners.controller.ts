import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CreateOwnerDto, OwnerListView, OwnerView } from '@swarm/contracts';
import { Owner, OwnerRepository } from '@swarm/db';
import { Forbidden } from '@swarm/domain';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { Actor, CurrentActor, RequireRole } from './auth.decorators';
import { CreateOwner } from './use-cases/create-owner';

function presentOwner(owner: Owner): OwnerView {
  return { id: owner.id, name: owner.name, is_system: owner.isSystem, created_at: owner.createdAt.toISOString() };
}

/** Tenants. Only admins of the system owner (the installation's operator) manage them. */
@ApiTags('owners')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/owners')
export class OwnersController {
  constructor(
    private readonly createOwner: CreateOwner,
    private readonly owners: OwnerRepository,
  ) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Create an owner (system admins); then create its keys with owner_id' })
  @ApiCreatedResponse({ type: OwnerView })
  @ApiErrorResponses(409)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateOwnerDto): Promise<OwnerView> {
    return presentOwner(await this.createOwner.execute(actor, body.name));
  }

  @Get()
  @RequireRole('admin')
  @ApiOperation({ summary: 'List owners (system admins)' })
  @ApiOkResponse({ type: OwnerListView })
  async list(@CurrentActor() actor: Actor): Promise<OwnerListView> {
    if (!actor.principal.isSystemOwner) throw new Forbidden('only the system owner may list owners');
    return { items: (await this.owners.list()).map(presentOwner) };
  }
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@swarm/config';
import { AccessTokenView, ApiKeyListView, ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from '@swarm/contracts';
import { ApiKeyRepository } from '@swarm/db';
import { uuidParam } from '../common/uuid-param';
import { ApiErrorResponses } from '../docs/api-error-responses';
import { presentApiKey } from './api-key.presenter';
import { Actor, CurrentActor, RequireRole } from './auth.decorators';
import { Authenticator } from './authenticator.service';
import { CreateApiKey } from './use-cases/create-api-key';
import { RevokeApiKey } from './use-cases/revoke-api-key';

@ApiTags('auth')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiErrorResponses(400, 401, 403)
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly createApiKey: CreateApiKey,
    private readonly revokeApiKey: RevokeApiKey,
    private readonly apiKeys: ApiKeyRepository,
    private readonly authenticator: Authenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('keys')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Create an API key (admin). The full key is returned once.' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    const { key, record } = await this.createApiKey.execute({ actor, name: body.name, role: body.role, ownerId: body.owner_id });
    return { ...presentApiKey(record), key };
  }

  @Get('keys')
  @RequireRole('admin')
  @ApiOperation({ summary: "List your owner's API keys (admin); secrets are never shown" })
  @ApiOkResponse({ type: ApiKeyListView })
  async list(@CurrentActor() actor: Actor): Promise<ApiKeyListView> {
    const keys = await this.apiKeys.listForOwner(actor.principal.ownerId);
    return { items: keys.map(presentApiKey) };
  }

  @Delete('keys/:keyId')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Revoke an API key (admin); its tokens stop working at once' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiErrorResponses(404)
  async revoke(@CurrentActor() actor: Actor, @Param('keyId', uuidParam('keyId')) keyId: string): Promise<ApiKeyView> {
    return presentApiKey(await this.revokeApiKey.execute(actor, keyId));
  }

  @Post('token')
  @HttpCode(200)
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Exchange the API key you send for a short-lived JWT (HS256)' })
  @ApiOkResponse({ type: AccessTokenView })
  async token(@CurrentActor() actor: Actor): Promise<AccessTokenView> {
    const accessToken = await this.authenticator.issueToken(actor.principal);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.config.auth.jwtTtlSeconds };
  }
}

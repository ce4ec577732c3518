import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

const ROLES = ['admin', 'operator', 'viewer'] as const;
type Role = (typeof ROLES)[number];

export class CreateApiKeyDto {
  @ApiProperty({ description: 'A label to tell keys apart', example: 'ci-pipeline' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\[\]]*$/, { message: 'name must not contain square brackets' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'operator' })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;

  @ApiPropertyOptional({
    description: "Owner the key belongs to; defaults to the caller's. Only the system owner's admins may name another.",
    format: 'uuid',
  })
  @IsOptional()
  @IsUUID('all')
  owner_id?: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The visible start of the key', example: 'sc_AbCd1234' }) prefix!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'uuid' }) owner_id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_used_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The full key. Shown only in this response; store it now.' })
  key!: string;
}

export class ApiKeyListView {
  @ApiProperty({ type: [ApiKeyView] }) items!: ApiKeyView[];
}

export class AccessTokenView {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires', example: 900 }) expires_in!: number;
}

export class CreateOwnerDto {
  @ApiProperty({ example: 'team-research' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\[\]]*$/, { message: 'name must not contain square brackets' })
  name!: string;
}

export class OwnerView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() is_system!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
}

export class OwnerListView {
  @ApiProperty({ type: [OwnerView] }) items!: OwnerView[];
}

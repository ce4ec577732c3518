import { createParamDecorator, ExecutionContext, SetMetadata, UnauthorizedException } from '@nestjs/common';
import type { ApiKeyRole, Principal } from '@swarm/auth';

export const IS_PUBLIC = 'swarm:isPublic';
export const REQUIRED_ROLE = 'swarm:requiredRole';

/** Routes anyone may call (health, readiness). Everything else needs a key or a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The least role a route needs; roles are ordered viewer < operator < admin. */
export const RequireRole = (role: ApiKeyRole) => SetMetadata(REQUIRED_ROLE, role);

export interface RequestWithPrincipal {
  principal?: Principal;
  id?: string;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new UnauthorizedException('Missing or invalid credentials');
  return principal;
});

/** What use-cases record in the audit log about the caller. */
export interface Actor {
  principal: Principal;
  requestId: string | null;
}

export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
  if (!request.principal) throw new UnauthorizedException('Missing or invalid credentials');
  return { principal: request.principal, requestId: request.id ?? null };
});

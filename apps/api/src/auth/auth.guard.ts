import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyRole, Principal, roleAllows } from '@swarm/auth';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_ROLE, RequestWithPrincipal } from './auth.decorators';
import { Authenticator } from './authenticator.service';

export const UNAUTHENTICATED_MESSAGE = 'Missing or invalid credentials: send X-Api-Key or Authorization: Bearer <token>';

/**
 * Global guard. Reads methods are open to viewers; any other method needs an operator unless
 * the route asks for more with @RequireRole. Public routes skip it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & RequestWithPrincipal>();
    const principal = await this.authenticate(request);
    if (!principal) throw new UnauthorizedException(UNAUTHENTICATED_MESSAGE);
    request.principal = principal;

    const required = this.reflector.getAllAndOverride<ApiKeyRole>(REQUIRED_ROLE, targets) ?? defaultRoleFor(request.method);
    if (!roleAllows(principal.role, required)) {
      throw new ForbiddenException(`this action needs the ${required} role; your key has ${principal.role}`);
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal | null> {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0) return this.authenticator.fromApiKey(apiKey);
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string') {
      const [scheme, token] = authorization.split(' ');
      if (scheme?.toLowerCase() === 'bearer' && token) return this.authenticator.fromBearerToken(token);
    }
    return null;
  }
}

function defaultRoleFor(method: string): ApiKeyRole {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'viewer' : 'operator';
}

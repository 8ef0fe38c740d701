import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthenticationRequired } from '../http/domain.error';
import type { Principal, Role } from './principal';

/** Metadata keys read by the authentication guard. */
export const IS_PUBLIC = 'handoff:auth:public';
export const REQUIRED_ROLES = 'handoff:auth:roles';
export const AUDITOR_ALLOWED = 'handoff:auth:auditor-allowed';

/** The OpenAPI extension marking public operations (the document drops their security requirement). */
export const PUBLIC_OPERATION_EXTENSION = 'x-handoff-public';

/** Marks a route or controller as reachable without an API key (health, metrics). */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION_EXTENSION, true));

/** Restricts a route or controller to principals holding at least one of `roles`. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

/**
 * Lets auditors call a non-GET route that does not change anything (verify, replay, export). Without
 * it, an auditor's write is refused whatever `@Roles` says, so a forgotten `@Roles` cannot open a
 * write to auditors.
 */
export const AuditorAllowed = () => SetMetadata(AUDITOR_ALLOWED, true);

/** Where the guard stores the principal on the request. */
export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
}

/** The principal of the current request, for controllers: `@CurrentPrincipal() who: Principal`. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    // Only reachable on a @Public route, where asking for a principal is a programming error.
    if (!principal) throw new AuthenticationRequired();
    return principal;
  },
);

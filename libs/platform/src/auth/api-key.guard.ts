import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessDenied, AuthenticationRequired } from '../http/domain.error';
import { ApiKeyAuthenticator } from './api-key';
import { AUDITOR_ALLOWED, IS_PUBLIC, REQUIRED_ROLES, type AuthenticatedRequest } from './auth.decorators';
import type { Role } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Reads the API key from `x-api-key` or `Authorization: ApiKey <key>`. */
export function presentedApiKey(headers: AuthenticatedRequest['headers']): string | undefined {
  const header = headers['x-api-key'];
  const direct = Array.isArray(header) ? header[0] : header;
  if (direct) return direct.trim() || undefined;
  const match = /^ApiKey\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/**
 * The global guard: authenticates every non-`@Public` route, stores the principal on the request, and
 * enforces roles. The auditor rule is applied before `@Roles`: on a non-safe method the auditor role
 * counts only on `@AuditorAllowed` routes, so an auditor-only key can never write.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedApiKey(request.headers);
    if (!key) throw new AuthenticationRequired();
    const principal = this.authenticator.authenticate(key);
    if (!principal) throw new AuthenticationRequired('The API key is not valid');
    request.principal = principal;

    const auditorAllowed =
      SAFE_METHODS.has(request.method) ||
      this.reflector.getAllAndOverride<boolean | undefined>(AUDITOR_ALLOWED, targets) === true;
    const effective = principal.roles.filter((role) => role !== 'auditor' || auditorAllowed);
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    const permitted = required ? effective.some((role) => required.includes(role)) : effective.length > 0;
    if (!permitted) {
      throw new AccessDenied(
        effective.length === 0 && principal.roles.includes('auditor')
          ? 'Auditors may read, replay and verify, never write'
          : 'Your role does not allow this operation',
      );
    }
    return true;
  }
}

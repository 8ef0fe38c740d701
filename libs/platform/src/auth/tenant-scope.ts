import type { DomainError } from '../http/domain.error';
import type { Principal } from './principal';

/**
 * Tenant isolation for services: a resource of another tenant is reported exactly like a missing one
 * (404 with the same body), never 403, so a caller cannot even learn that the id exists.
 *
 * ```ts
 * const ticket = TenantScope.of(who).visible(await this.tickets.find(id), () => new TicketNotFound(id));
 * ```
 */
export class TenantScope {
  constructor(readonly tenantId: string) {}

  /** The scope of a principal. */
  static of(principal: Pick<Principal, 'tenantId'>): TenantScope {
    return new TenantScope(principal.tenantId);
  }

  /** True when a resource of `resourceTenantId` belongs to this scope. */
  owns(resourceTenantId: string): boolean {
    return resourceTenantId === this.tenantId;
  }

  /**
   * The resource when it exists and belongs to this tenant; otherwise throws `notFound()`, the same
   * error the caller uses for a missing resource.
   */
  visible<T extends { readonly tenantId: string }>(
    resource: T | null | undefined,
    notFound: () => DomainError,
  ): T {
    if (resource === null || resource === undefined || !this.owns(resource.tenantId)) throw notFound();
    return resource;
  }
}

/** The roles of ARCHITECTURE.md §9. */
export const ROLES = ['agent', 'supervisor', 'auditor', 'integration', 'bot'] as const;

/** A role a principal may hold. `auditor` reads, replays and verifies, and never writes. */
export type Role = (typeof ROLES)[number];

/** Who is calling: set by the authentication guard on every non-public request. */
export interface Principal {
  readonly tenantId: string;
  readonly roles: readonly Role[];
  /** A non-secret identifier of the key used (tenant and a hash prefix), safe to log and audit. */
  readonly keyId: string;
}

/** True when `value` names a known role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

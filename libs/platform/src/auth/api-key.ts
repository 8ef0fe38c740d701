import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConfigParser, ParseResult } from '../config/config.parsers';
import { isRole, ROLES, type Principal, type Role } from './principal';

/** One configured API key: whose it is and what it may do. Only the key's SHA-256 is held. */
export interface ApiKeyEntry {
  readonly tenantId: string;
  readonly roles: readonly Role[];
  /** SHA-256 of the key, lowercase hex. */
  readonly sha256: string;
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * SHA-256 (hex) of an API key: what `API_KEYS` stores. A plain hash suffices because minted keys carry
 * 256 random bits; a slow password hash would only slow every request down.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A freshly minted key and the `API_KEYS` entry that grants it. */
export interface MintedApiKey {
  /** Give this to the client once; it is not stored anywhere. */
  readonly key: string;
  /** Put this in `API_KEYS` (comma-separated with other entries). */
  readonly entry: string;
  readonly sha256: string;
}

/**
 * Mints a random API key for a tenant and roles, e.g. from a script or `npm start`:
 * `const { key, entry } = mintApiKey('acme', ['agent']);` → hand out `key`, configure `entry`.
 */
export function mintApiKey(tenantId: string, roles: readonly Role[]): MintedApiKey {
  if (!TENANT_ID.test(tenantId)) throw new Error(`invalid tenant id ${JSON.stringify(tenantId)}`);
  if (roles.length === 0) throw new Error('an API key needs at least one role');
  const key = `hk_${randomBytes(32).toString('base64url')}`;
  const sha256 = hashApiKey(key);
  return { key, sha256, entry: formatApiKeyEntry({ tenantId, roles, sha256 }) };
}

/** The `tenantId:role[+role...]:sha256hex` form of an entry. */
export function formatApiKeyEntry(entry: ApiKeyEntry): string {
  return `${entry.tenantId}:${entry.roles.join('+')}:${entry.sha256}`;
}

function parseEntry(raw: string): ApiKeyEntry | string {
  const parts = raw.trim().split(':');
  if (parts.length !== 3) return 'expected tenantId:role[+role...]:sha256hex';
  const [tenantId = '', rolesPart = '', sha256 = ''] = parts;
  if (!TENANT_ID.test(tenantId)) return 'tenant id must be 1-64 letters, digits, "_", "." or "-"';
  const roles = rolesPart.split('+');
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0 || rolesPart === '') {
    return `unknown role ${JSON.stringify(unknown[0] ?? '')} (expected ${ROLES.join(', ')})`;
  }
  if (!SHA256_HEX.test(sha256)) {
    return 'the key part must be the SHA-256 of the key in 64 lowercase hex digits (see hashApiKey), never the key itself';
  }
  return { tenantId, roles: roles as Role[], sha256 };
}

/**
 * Parser for `API_KEYS`: comma-separated `tenantId:role[+role...]:sha256hex` entries. Errors name the
 * entry's position and what is wrong, never the value (a pasted raw key would otherwise be printed).
 */
export function apiKeys(): ConfigParser<readonly ApiKeyEntry[]> {
  const expected = 'comma-separated tenantId:role[+role...]:sha256hex entries (at least one)';
  return {
    expected,
    secret: true,
    parse(raw): ParseResult<readonly ApiKeyEntry[]> {
      if (raw === undefined || raw.trim() === '')
        return { ok: false, problem: `is required: expected ${expected}` };
      const entries: ApiKeyEntry[] = [];
      const problems: string[] = [];
      raw.split(',').forEach((part, index) => {
        const parsed = parseEntry(part);
        if (typeof parsed === 'string') problems.push(`entry ${index + 1}: ${parsed}`);
        else entries.push(parsed);
      });
      const seen = new Set<string>();
      entries.forEach((entry) => {
        if (seen.has(entry.sha256))
          problems.push(`the same key hash is configured twice (tenant ${entry.tenantId})`);
        seen.add(entry.sha256);
      });
      return problems.length > 0 ? { ok: false, problem: problems.join('; ') } : { ok: true, value: entries };
    },
  };
}

/**
 * Resolves a presented API key to its principal. The presented key is hashed and compared with every
 * configured hash in constant time, without stopping at the first match, so response time says
 * nothing about how close a guess was or which entry matched.
 */
export class ApiKeyAuthenticator {
  private readonly entries: readonly { entry: ApiKeyEntry; digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));
  }

  /** The principal for `key`, or `undefined` when no configured key matches. */
  authenticate(key: string): Principal | undefined {
    const presented = createHash('sha256').update(key, 'utf8').digest();
    let match: ApiKeyEntry | undefined;
    for (const { entry, digest } of this.entries) {
      if (timingSafeEqual(presented, digest) && match === undefined) match = entry;
    }
    if (match === undefined) return undefined;
    return {
      tenantId: match.tenantId,
      roles: match.roles,
      keyId: `${match.tenantId}/${match.sha256.slice(0, 12)}`,
    };
  }
}

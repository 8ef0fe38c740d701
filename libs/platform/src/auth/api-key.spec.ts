import { apiKeys, ApiKeyAuthenticator, formatApiKeyEntry, hashApiKey, mintApiKey } from './api-key';
import { presentedApiKey } from './api-key.guard';
import { TenantScope } from './tenant-scope';
import { ResourceNotFound } from '../http/domain.error';

describe('API keys', () => {
  it('hashes a key with SHA-256 (what API_KEYS stores)', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('mints a random key and the entry that grants it, holding only the hash', () => {
    const minted = mintApiKey('acme', ['agent', 'supervisor']);
    expect(minted.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    expect(minted.entry).toBe(`acme:agent+supervisor:${hashApiKey(minted.key)}`);
    expect(minted.entry).not.toContain(minted.key);
    expect(mintApiKey('acme', ['agent']).key).not.toBe(minted.key);
    expect(() => mintApiKey('bad tenant', ['agent'])).toThrow(/invalid tenant id/);
  });

  it('parses API_KEYS entries and reports each bad one by position', () => {
    const a = mintApiKey('acme', ['agent']);
    const parsed = apiKeys().parse(`${a.entry}, globex:auditor:${hashApiKey('x')}`);
    expect(parsed).toEqual({
      ok: true,
      value: [
        { tenantId: 'acme', roles: ['agent'], sha256: a.sha256 },
        { tenantId: 'globex', roles: ['auditor'], sha256: hashApiKey('x') },
      ],
    });
    const bad = apiKeys().parse(`acme:agent,globex:root:${hashApiKey('y')},${a.entry},${a.entry}`);
    expect(bad).toEqual({
      ok: false,
      problem:
        'entry 1: expected tenantId:role[+role...]:sha256hex; entry 2: unknown role "root" (expected agent, supervisor, auditor, integration, bot); the same key hash is configured twice (tenant acme)',
    });
  });

  it('authenticates a key to its principal and refuses others', () => {
    const a = mintApiKey('acme', ['agent']);
    const b = mintApiKey('globex', ['auditor', 'bot']);
    const authenticator = new ApiKeyAuthenticator([
      { tenantId: 'acme', roles: ['agent'], sha256: a.sha256 },
      { tenantId: 'globex', roles: ['auditor', 'bot'], sha256: b.sha256 },
    ]);
    expect(authenticator.authenticate(b.key)).toEqual({
      tenantId: 'globex',
      roles: ['auditor', 'bot'],
      keyId: `globex/${b.sha256.slice(0, 12)}`,
    });
    expect(authenticator.authenticate(a.sha256)).toBeUndefined();
    expect(authenticator.authenticate('')).toBeUndefined();
    expect(formatApiKeyEntry({ tenantId: 'acme', roles: ['agent'], sha256: a.sha256 })).toBe(a.entry);
  });

  it('reads the key from x-api-key or Authorization: ApiKey', () => {
    expect(presentedApiKey({ 'x-api-key': 'k1' })).toBe('k1');
    expect(presentedApiKey({ authorization: 'apikey k2' })).toBe('k2');
    expect(presentedApiKey({ authorization: 'Bearer k3' })).toBeUndefined();
    expect(presentedApiKey({})).toBeUndefined();
  });
});

describe('TenantScope', () => {
  const scope = TenantScope.of({ tenantId: 'acme' });
  const notFound = () => new ResourceNotFound('ticket', 't-1');

  it("returns the tenant's own resource", () => {
    expect(scope.visible({ tenantId: 'acme', id: 't-1' }, notFound)).toEqual({ tenantId: 'acme', id: 't-1' });
  });

  it("reports another tenant's resource exactly like a missing one", () => {
    expect(() => scope.visible({ tenantId: 'globex' }, notFound)).toThrow(ResourceNotFound);
    expect(() => scope.visible(undefined, notFound)).toThrow(ResourceNotFound);
    expect(scope.owns('globex')).toBe(false);
  });
});

import { canonicalJson, ChainVerifier, computeEventHash, GENESIS_HASH } from './hash-chain';
import { isUuid, uuidV7 } from './uuid-v7';

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: undefined, c: 1.5 }, é: -0 })).toBe(
      '{"a":{"c":1.5},"b":[1,"x",null,true],"é":0}',
    );
  });

  it('is independent of key order, as jsonb round trips require', () => {
    expect(canonicalJson({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalJson({ y: { p: 3, q: 2 }, x: 1 }));
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson({ b: 1n })).toThrow(TypeError);
  });
});

describe('computeEventHash', () => {
  const fields = {
    streamName: 'ticket-1',
    revision: 0n,
    eventId: '0190a6e0-0000-7000-8000-000000000001',
    type: 'TicketOpened',
    schemaVersion: 1,
    data: { subject: 'Hi' },
    metadata: { tenantId: 't' },
  };

  it('is SHA-256 hex of the canonical encoding, a fixed vector', () => {
    // Pinned: stored chains must verify with every later version of the code.
    expect(computeEventHash(GENESIS_HASH, fields)).toBe(
      '333119068fcfbf45a7f9e8fdae531353ea29c64a4044ad6a5e0ef13894584608',
    );
    const rich = {
      streamName: 'customer-Ω',
      revision: 12345678901234n,
      eventId: '0190a6e0-0000-7000-8000-0000000000ff',
      type: 'Rich.Type:v2',
      schemaVersion: 3,
      data: {
        z: [1, -0, 1.5e-7, 1e21, 'é\u2028"\\', { b: null, a: true }],
        a: { ключ: 'значение', '😀': 'emoji', '': 0 },
      },
      metadata: { tenantId: 't', actor: { kind: 'agent', id: 'a' }, nested: { list: [] } },
    };
    expect(canonicalJson(rich.data)).toBe(
      '{"a":{"":0,"ключ":"значение","😀":"emoji"},"z":[1,0,1.5e-7,1e+21,"é\u2028\\"\\\\",{"a":true,"b":null}]}',
    );
    expect(computeEventHash('ab'.repeat(32), rich)).toBe(
      '2623dea080e7b06e284e59dc8d4553da640f908b702daaf69312f578e2b1c54b',
    );
  });

  it('changes with every covered field', () => {
    const base = computeEventHash(GENESIS_HASH, fields);
    expect(computeEventHash('1'.repeat(64), fields)).not.toBe(base);
    expect(computeEventHash(GENESIS_HASH, { ...fields, revision: 1n })).not.toBe(base);
    expect(computeEventHash(GENESIS_HASH, { ...fields, data: { subject: 'Ho' } })).not.toBe(base);
    expect(computeEventHash(GENESIS_HASH, { ...fields, metadata: { tenantId: 'u' } })).not.toBe(base);
    expect(computeEventHash(GENESIS_HASH, { ...fields, schemaVersion: 2 })).not.toBe(base);
  });

  it('feeds a verifier that reports the first broken revision', () => {
    const first = { ...fields, prevHash: GENESIS_HASH, hash: computeEventHash(GENESIS_HASH, fields) };
    const second = { ...fields, revision: 1n, prevHash: first.hash, hash: 'f'.repeat(64) };
    const verifier = new ChainVerifier('ticket-1');
    expect(verifier.next(first)).toBe(true);
    expect(verifier.next(second)).toBe(false);
    expect(verifier.finish({ revision: 1n, lastHash: second.hash })).toMatchObject({
      ok: false,
      brokenAt: 1n,
      reason: 'hash-mismatch',
    });
  });
});

describe('uuidV7', () => {
  it('generates RFC 9562 version 7 ids that sort in generation order, even within one millisecond', () => {
    const ids = Array.from({ length: 5_000 }, () => uuidV7(() => 1_700_000_000_000));
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]?.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
  });

  it('stays monotonic when the clock steps back', () => {
    const a = uuidV7(() => 1_800_000_000_000);
    const b = uuidV7(() => 1_799_999_999_000);
    expect(b > a).toBe(true);
  });
});

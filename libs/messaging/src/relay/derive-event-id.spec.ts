import { deriveEventId, uuidV5 } from './derive-event-id';

describe('deriveEventId', () => {
  const eventId = '0190a3c1-7b2e-7c3d-9e4f-123456789abc';

  it('is deterministic and differs per index and from the internal id', () => {
    expect(deriveEventId(eventId, 0)).toBe(deriveEventId(eventId, 0));
    expect(deriveEventId(eventId, 0)).not.toBe(deriveEventId(eventId, 1));
    expect(deriveEventId(eventId, 0)).not.toBe(eventId);
  });

  it('is a version-5, RFC-variant UUID named by the decimal index', () => {
    expect(deriveEventId(eventId, 3)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(deriveEventId(eventId, 3)).toBe(uuidV5(eventId, '3'));
  });

  it('matches the RFC 9562 UUIDv5 test vector', () => {
    // RFC 9562 Appendix A.4: DNS namespace, name "www.example.com".
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('rejects a non-UUID id and a negative or fractional index', () => {
    expect(() => deriveEventId('not-a-uuid', 0)).toThrow(RangeError);
    expect(() => deriveEventId(eventId, -1)).toThrow(RangeError);
    expect(() => deriveEventId(eventId, 1.5)).toThrow(RangeError);
  });
});

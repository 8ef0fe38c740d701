import crypto from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id of the `index`-th public event mapped from one internal event, for 1:n mappings.
 *
 * A name-based UUID version 5 (RFC 9562 §5.5: SHA-1 over the namespace's 16 bytes and the name),
 * with the internal event's id as the namespace and the decimal index as the name. The same internal
 * event therefore always yields the same public ids, so a message the relay publishes again after a
 * crash carries the same `ce_id` and consumers deduplicate it. A 1:1 mapping uses the internal
 * event id itself.
 *
 * @throws RangeError when `eventId` is not a UUID or `index` is not a non-negative safe integer.
 */
export function deriveEventId(eventId: string, index: number): string {
  if (!UUID.test(eventId)) throw new RangeError(`deriveEventId: "${eventId}" is not a UUID`);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`deriveEventId: index must be a non-negative integer, got ${index}`);
  }
  return uuidV5(eventId, String(index));
}

/** RFC 9562 §5.5 name-based UUID (SHA-1); `namespace` must be a UUID. Internal to the library. */
export function uuidV5(namespace: string, name: string): string {
  const hash = crypto
    .createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  // Version 5 in the high nibble of byte 6, the RFC variant (10xx) in the high bits of byte 8.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

import crypto from 'node:crypto';
import type { ChainBreak, VerifyResult } from './event-store.port';

/** `prevHash` of the first event of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of a stored event that its hash covers. */
export interface HashedFields {
  streamName: string;
  revision: bigint;
  eventId: string;
  type: string;
  schemaVersion: number;
  /** The stored data (never the upcast one). */
  data: unknown;
  metadata: unknown;
}

/**
 * Canonical JSON, the byte-exact input of the hash (RFC 8785, JCS, for the values the store accepts):
 * - no whitespace; `null`, `true`, `false` as literals;
 * - strings as `JSON.stringify` writes them; finite numbers as ECMAScript `Number.prototype.toString`
 *   (which `JSON.stringify` uses: `1`, `1.5`, `1e+21`, `-0` as `0`);
 * - arrays in order; object members sorted by key in UTF-16 code unit order, members whose value
 *   is `undefined` left out.
 * Hashing the canonical form rather than the stored text makes the hash independent of how a
 * database re-serialises JSON (PostgreSQL jsonb reorders keys and rewrites numbers).
 */
export function canonicalJson(value: unknown): string {
  const json = checkedCanonicalJson(value);
  if (json === undefined) {
    throw new TypeError(
      'value has no canonical JSON form (plain objects, arrays, strings and keys without U+0000, finite numbers, booleans and null only)',
    );
  }
  return json;
}

/**
 * {@link canonicalJson} of a value that holds only plain objects, arrays, strings and keys without
 * U+0000, finite numbers, booleans and null (object members set to `undefined` left out);
 * `undefined` for anything else, cycles included.
 */
export function checkedCanonicalJson(value: unknown, ancestors: object[] = []): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.includes('\u0000') ? undefined : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (ancestors.includes(value)) return undefined;
      ancestors.push(value);
      let out: string | undefined;
      if (Array.isArray(value)) {
        out = '[';
        for (let i = 0; i < value.length; i += 1) {
          const item: unknown = value[i];
          const json = item === undefined ? undefined : checkedCanonicalJson(item, ancestors);
          if (json === undefined) {
            out = undefined;
            break;
          }
          out += i === 0 ? json : `,${json}`;
        }
        if (out !== undefined) out += ']';
      } else {
        const prototype = Object.getPrototypeOf(value) as unknown;
        if (prototype === Object.prototype || prototype === null) {
          const record = value as Record<string, unknown>;
          const keys = sortKeys(Object.keys(record));
          out = '{';
          for (const key of keys) {
            const member = record[key];
            if (member === undefined) continue;
            const json = key.includes('\u0000') ? undefined : checkedCanonicalJson(member, ancestors);
            if (json === undefined) {
              out = undefined;
              break;
            }
            out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${json}`;
          }
          if (out !== undefined) out += '}';
        }
      }
      ancestors.pop();
      return out;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return undefined;
  }
}

/**
 * `keys` sorted in UTF-16 code unit order, in place. Objects of events have a handful of members:
 * an insertion sort needs no scratch array, where `Array.prototype.sort` allocated one per object
 * (a twentieth of what ingestion allocated).
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j -= 1) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** The fields of an event's hash with its data and metadata already in canonical JSON. */
export interface CanonicalHashedFields {
  streamName: string;
  revision: bigint;
  eventId: string;
  type: string;
  schemaVersion: number;
  /** {@link canonicalJson} of the stored data / metadata. */
  dataJson: string;
  metadataJson: string;
}

/**
 * SHA-256 (lowercase hex) over the UTF-8 bytes of the canonical JSON of
 * `{ prevHash, streamName, revision (decimal string), eventId, type, schemaVersion, data, metadata }`.
 */
export function computeEventHash(prevHash: string, event: HashedFields): string {
  return hashCanonicalEvent(prevHash, {
    streamName: event.streamName,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    dataJson: canonicalJson(event.data),
    metadataJson: canonicalJson(event.metadata),
  });
}

/**
 * {@link computeEventHash} for an event whose data and metadata are canonical JSON already (an
 * append prepares them once, and a retry on another head re-hashes without re-encoding them). The
 * members are written in the key order {@link canonicalJson} sorts them into.
 */
export function hashCanonicalEvent(prevHash: string, event: CanonicalHashedFields): string {
  const canonical =
    `{"data":${event.dataJson},"eventId":${JSON.stringify(event.eventId)},` +
    `"metadata":${event.metadataJson},"prevHash":${JSON.stringify(prevHash)},` +
    `"revision":${JSON.stringify(event.revision.toString())},"schemaVersion":${canonicalJson(event.schemaVersion)},` +
    `"streamName":${JSON.stringify(event.streamName)},"type":${JSON.stringify(event.type)}}`;
  // One-shot `crypto.hash` (UTF-8 for strings): a third of the cost of a Hash object per event.
  return crypto.hash('sha256', canonical, 'hex');
}

/** A stored event as the verifier sees it. */
export interface ChainLink extends HashedFields {
  prevHash: string;
  hash: string;
}

/**
 * Checks a stream's chain one event at a time, so an adapter can stream a long stream through it:
 * feed the stored events in revision order with {@link ChainVerifier.next}, then
 * {@link ChainVerifier.finish} with the stream head the store recorded.
 */
export class ChainVerifier {
  private expectedRevision = 0n;
  private lastHash = GENESIS_HASH;
  private failure: VerifyResult | undefined;

  constructor(private readonly streamName: string) {}

  /** Checks the next stored event; returns false once the chain is broken (stop feeding then). */
  next(event: ChainLink): boolean {
    if (this.failure) return false;
    const at = this.expectedRevision;
    if (event.streamName !== this.streamName || event.revision !== at) {
      return this.fail(at, 'revision-gap', `expected revision ${at}, found ${event.revision}`);
    }
    if (event.prevHash !== this.lastHash) {
      return this.fail(at, 'prev-hash-mismatch', 'prevHash is not the hash of the previous event');
    }
    if (computeEventHash(event.prevHash, event) !== event.hash) {
      return this.fail(at, 'hash-mismatch', 'the stored event does not match its hash');
    }
    this.lastHash = event.hash;
    this.expectedRevision += 1n;
    return true;
  }

  /**
   * Ends the check against the head the store recorded for the stream (its last revision and hash),
   * which catches events removed from the end.
   */
  finish(head: { revision: bigint; lastHash: string }): VerifyResult {
    if (this.failure) return this.failure;
    const last = this.expectedRevision - 1n;
    if (last !== head.revision) {
      this.fail(
        this.expectedRevision <= head.revision ? this.expectedRevision : head.revision,
        last < head.revision ? 'revision-gap' : 'head-mismatch',
        `the stream head is at revision ${head.revision}, the stored events end at ${last}`,
      );
    } else if (this.lastHash !== head.lastHash) {
      this.fail(last, 'head-mismatch', 'the last event hash differs from the recorded stream head');
    }
    return this.failure ?? { ok: true, events: Number(this.expectedRevision), lastHash: this.lastHash };
  }

  private fail(brokenAt: bigint, reason: ChainBreak, detail: string): false {
    this.failure = { ok: false, brokenAt, reason, detail };
    return false;
  }
}

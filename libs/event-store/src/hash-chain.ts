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
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`non-finite number ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      // Plain loops and string building: this runs over every event appended and verified.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
      }
      return `${out}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new TypeError(`${typeof value} has no JSON form`);
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

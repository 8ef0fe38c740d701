import { EventTooLarge, InvalidAppend, InvalidArgument, WrongExpectedVersion } from './errors';
import type {
  ActorKind,
  AppendResult,
  EventMetadata,
  ExpectedRevision,
  JsonValue,
  NewEvent,
  StreamAppend,
} from './event-store.port';
import { canonicalJson, checkedCanonicalJson, hashCanonicalEvent } from './hash-chain';
import { assertStreamName } from './stream-name';
import type { UpcasterRegistry } from './upcasters';
import { isUuid, uuidV7 } from './uuid-v7';

/** Default limit of one event's serialised data + metadata: 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,199}$/;
const ACTOR_KINDS: ReadonlySet<ActorKind> = new Set([
  'customer',
  'bot',
  'agent',
  'supervisor',
  'system',
  'integration',
]);
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An event validated and normalised for storage, before it has a place in its stream. */
export interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  /**
   * The caller's data and metadata, checked but not copied: an adapter that keeps or hands out
   * objects parses {@link dataJson} / {@link metadataJson} instead, so later changes by the caller
   * reach nothing stored.
   */
  data: unknown;
  metadata: EventMetadata;
  /** {@link canonicalJson} of `data` / `metadata`: what an adapter stores and the hash covers. */
  dataJson: string;
  metadataJson: string;
}

/** A prepared event with its revision and hash. */
export interface ChainedEvent extends PreparedEvent {
  streamName: string;
  revision: bigint;
  prevHash: string;
  hash: string;
}

export interface AppendRequest {
  stream: string;
  category: string;
  expectedRevision: ExpectedRevision;
  events: PreparedEvent[];
}

/**
 * Validates an append before any I/O, so that bad input is refused the same way by every adapter
 * and nothing is written: stream name, expected revision, event ids, types, schema versions, JSON
 * data and metadata, and the size limit.
 * @throws InvalidStreamName, InvalidAppend, EventTooLarge
 */
export function prepareAppend(
  stream: string,
  events: readonly NewEvent[],
  options: { expectedRevision: ExpectedRevision } | undefined,
  limits: {
    maxEventBytes: number;
    upcasters?: UpcasterRegistry | undefined;
    /** Metadata objects checked already in the same call, with what they became. */
    metadataSeen?: Map<object, { metadata: EventMetadata; metadataJson: string }>;
  },
): AppendRequest {
  const category = assertStreamName(stream);
  const expectedRevision = options?.expectedRevision;
  if (!isExpectedRevision(expectedRevision)) {
    throw new InvalidAppend(
      stream,
      'invalid-expected-revision',
      `expected 'any', 'no-stream', 'exists' or a bigint >= 0, got ${describe(expectedRevision)}`,
    );
  }
  const batch: unknown = events;
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new InvalidAppend(stream, 'empty-batch', 'an append needs at least one event');
  }
  const seen = new Set<string>();
  const metadataSeen =
    limits.metadataSeen ?? new Map<object, { metadata: EventMetadata; metadataJson: string }>();
  const prepared = events.map((event, index) => {
    const where = `event #${index}`;
    if (typeof event !== 'object' || event === null) {
      throw new InvalidAppend(stream, 'invalid-data', `${where} is not an object`);
    }
    const eventId = event.eventId === undefined ? uuidV7() : event.eventId;
    if (!isUuid(eventId)) {
      throw new InvalidAppend(stream, 'invalid-event-id', `${where}: eventId must be a UUID`);
    }
    const normalisedId = eventId.toLowerCase();
    if (seen.has(normalisedId)) {
      throw new InvalidAppend(stream, 'duplicate-event-id', `${where}: eventId ${eventId} appears twice`);
    }
    seen.add(normalisedId);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) {
      throw new InvalidAppend(
        stream,
        'invalid-event-type',
        `${where}: type must start with a letter and hold letters, digits or _ . : - (at most 200)`,
      );
    }
    const schemaVersion = event.schemaVersion ?? limits.upcasters?.currentVersion(event.type) ?? 1;
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
      throw new InvalidAppend(
        stream,
        'invalid-schema-version',
        `${where}: schemaVersion must be an integer >= 1`,
      );
    }
    // Canonical JSON: what the hash covers, and (any JSON text will do) what the adapters store.
    const dataJson = jsonOf(event.data, 'data', (path, problem) => {
      throw new InvalidAppend(stream, 'invalid-data', `${where}: ${path} ${problem}`);
    });
    // The events of one call often share a metadata object (a command's events): checked and
    // encoded once.
    let metadataOf = metadataSeen.get(event.metadata);
    if (!metadataOf) {
      const metadataJson = jsonOf(event.metadata, 'metadata', (path, problem) => {
        throw new InvalidAppend(stream, 'invalid-metadata', `${where}: ${path} ${problem}`);
      });
      const metadata = validateMetadata(event.metadata as unknown as JsonValue, (problem) => {
        throw new InvalidAppend(stream, 'invalid-metadata', `${where}: ${problem}`);
      });
      metadataOf = { metadata, metadataJson };
      if (typeof event.metadata === 'object' && event.metadata !== null)
        metadataSeen.set(event.metadata, metadataOf);
    }
    const { metadata, metadataJson } = metadataOf;
    const data = event.data;
    const size = Buffer.byteLength(dataJson, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
    if (size > limits.maxEventBytes) {
      throw new EventTooLarge(stream, normalisedId, size, limits.maxEventBytes);
    }
    return { eventId: normalisedId, type: event.type, schemaVersion, data, metadata, dataJson, metadataJson };
  });
  return { stream, category, expectedRevision, events: prepared };
}

/**
 * Validates a multi-stream append before any I/O: each stream's part as {@link prepareAppend} does,
 * plus what only the whole call can get wrong and no per-stream check sees: a stream named twice, or
 * an event id in two of its batches.
 * @throws InvalidArgument, InvalidStreamName, InvalidAppend, EventTooLarge
 */
export function prepareStreamAppends(
  appends: readonly StreamAppend[],
  limits: { maxEventBytes: number; upcasters?: UpcasterRegistry | undefined },
): AppendRequest[] {
  const list: unknown = appends;
  if (!Array.isArray(list)) {
    throw new InvalidArgument('appends', 'expected an array of { stream, events, expectedRevision }');
  }
  const streams = new Set<string>();
  const eventStreams = new Map<string, string>();
  const shared = {
    ...limits,
    metadataSeen: new Map<object, { metadata: EventMetadata; metadataJson: string }>(),
  };
  return appends.map((append, index) => {
    if (typeof append !== 'object' || append === null) {
      throw new InvalidArgument('appends', `item #${index} is not an object`);
    }
    const request = prepareAppend(append.stream, append.events, append, shared);
    if (streams.has(request.stream)) {
      throw new InvalidArgument('appends', `stream ${JSON.stringify(request.stream)} appears more than once`);
    }
    streams.add(request.stream);
    for (const event of request.events) {
      const other = eventStreams.get(event.eventId);
      if (other !== undefined) {
        throw new InvalidAppend(
          request.stream,
          'duplicate-event-id',
          `eventId ${event.eventId} is also in the batch for ${JSON.stringify(other)}`,
        );
      }
      eventStreams.set(event.eventId, request.stream);
    }
    return request;
  });
}

/** Gives the batch its revisions after `currentRevision` (-1 for none) and chains the hashes. */
export function chainEvents(
  request: AppendRequest,
  currentRevision: bigint,
  lastHash: string,
): ChainedEvent[] {
  let prevHash = lastHash;
  return request.events.map((event, index) => {
    const revision = currentRevision + 1n + BigInt(index);
    const hash = hashCanonicalEvent(prevHash, {
      streamName: request.stream,
      revision,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      dataJson: event.dataJson,
      metadataJson: event.metadataJson,
    });
    // Spelt out, not `{ ...event, ... }`: in Node 20 (V8 11.3) each property a literal adds after a
    // leading spread takes a slow path that builds a new hidden class every time, about 2 µs a
    // property, where this literal takes 0.05 µs in all.
    const chained: ChainedEvent = {
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      dataJson: event.dataJson,
      metadataJson: event.metadataJson,
      streamName: request.stream,
      revision,
      prevHash,
      hash,
    };
    prevHash = hash;
    return chained;
  });
}

/**
 * Refuses the append unless the stream's current revision (-1 when it has no events) satisfies
 * the expected revision.
 * @throws WrongExpectedVersion
 */
/** Whether a stream whose last event is at `currentRevision` (-1: no events) meets the expectation. */
export function satisfiesExpectedRevision(
  expectedRevision: ExpectedRevision,
  currentRevision: bigint,
): boolean {
  return (
    expectedRevision === 'any' ||
    (expectedRevision === 'no-stream' && currentRevision < 0n) ||
    (expectedRevision === 'exists' && currentRevision >= 0n) ||
    expectedRevision === currentRevision
  );
}

export function assertExpectedRevision(request: AppendRequest, currentRevision: bigint): void {
  if (!satisfiesExpectedRevision(request.expectedRevision, currentRevision)) {
    throw new WrongExpectedVersion(
      request.stream,
      request.expectedRevision,
      currentRevision < 0n ? 'no-stream' : currentRevision,
    );
  }
}

/** Where an event id of the batch is already stored. */
export interface ExistingEvent {
  eventId: string;
  streamName: string;
  revision: bigint;
  globalPosition: bigint;
}

/**
 * EventStoreDB's idempotency: the batch is a retry when every one of its event ids is already
 * stored, in this stream, at consecutive revisions in batch order, right after the expected revision
 * (or anywhere for 'any'/'exists'). Then the original result is returned and nothing is written.
 */
export function idempotentResult(
  request: AppendRequest,
  existing: readonly ExistingEvent[],
): AppendResult | undefined {
  const byId = new Map(existing.map((event) => [event.eventId, event]));
  const found = request.events.map((event) => byId.get(event.eventId));
  const first = found[0];
  if (!first || found.some((event) => event === undefined)) return undefined;
  const stored = found as ExistingEvent[];
  const consecutive = stored.every(
    (event, index) =>
      event.streamName === request.stream && event.revision === first.revision + BigInt(index),
  );
  const { expectedRevision } = request;
  const atExpected =
    expectedRevision === 'any' ||
    expectedRevision === 'exists' ||
    (expectedRevision === 'no-stream' ? first.revision === 0n : first.revision === expectedRevision + 1n);
  const last = stored[stored.length - 1] ?? first;
  return consecutive && atExpected
    ? { nextExpectedRevision: last.revision, position: last.globalPosition }
    : undefined;
}

function isExpectedRevision(value: unknown): value is ExpectedRevision {
  return (
    value === 'any' ||
    value === 'no-stream' ||
    value === 'exists' ||
    (typeof value === 'bigint' && value >= 0n)
  );
}

/**
 * The canonical JSON of `value` when it is exactly what JSON stores (see {@link toJson}), in one
 * pass over it and without copying it; otherwise {@link toJson} names the offending member in a call
 * to `fail`.
 */
function jsonOf(value: unknown, path: string, fail: (path: string, problem: string) => never): string {
  const json = checkedCanonicalJson(value);
  if (json !== undefined) return json;
  // Something is not JSON: toJson says what and where (and fails).
  return canonicalJson(toJson(value, path, fail));
}

/**
 * A deep copy of `value` that is exactly what JSON stores, or a call to `fail`: only plain objects,
 * arrays, strings, finite numbers, booleans and null; object members set to `undefined` are left out
 * (as JSON.stringify does), anything else (BigInt, Date, Map, functions, cycles, NaN) is refused
 * rather than silently changed.
 */
function toJson(value: unknown, path: string, fail: (path: string, problem: string) => never): JsonValue {
  const ancestors = new Set<object>();
  // The path to the value being visited, spelt out only for an error: building it for every member
  // of every event cost more than the checks themselves.
  const trail: (string | number)[] = [];
  const at = () =>
    trail.reduce<string>(
      (where, step) => (typeof step === 'number' ? `${where}[${step}]` : `${where}.${step}`),
      path,
    );
  const visit = (current: unknown): JsonValue => {
    if (typeof current === 'string') {
      // PostgreSQL's jsonb cannot hold U+0000; refusing it everywhere keeps the adapters alike.
      return current.includes('\u0000')
        ? fail(at(), 'contains U+0000, which the store cannot hold')
        : current;
    }
    if (current === null || typeof current === 'boolean') return current;
    if (typeof current === 'number') {
      return Number.isFinite(current) ? current : fail(at(), `is ${current}, which JSON cannot hold`);
    }
    if (typeof current !== 'object') return fail(at(), `is a ${typeof current}, which JSON cannot hold`);
    if (ancestors.has(current)) return fail(at(), 'is circular');
    ancestors.add(current);
    try {
      if (Array.isArray(current)) {
        const items: JsonValue[] = new Array<JsonValue>(current.length);
        for (let index = 0; index < current.length; index += 1) {
          trail.push(index);
          const item: unknown = current[index];
          items[index] = item === undefined ? fail(at(), 'is undefined') : visit(item);
          trail.pop();
        }
        return items;
      }
      const prototype = Object.getPrototypeOf(current) as unknown;
      if (prototype !== Object.prototype && prototype !== null) {
        return fail(at(), 'is not a plain object (convert Dates, Maps and class instances first)');
      }
      const copy: Record<string, JsonValue> = {};
      const record = current as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (key.includes('\u0000')) fail(at(), 'has a key containing U+0000, which the store cannot hold');
        const member = record[key];
        if (member === undefined) continue;
        trail.push(key);
        copy[key] = visit(member);
        trail.pop();
      }
      return copy;
    } finally {
      ancestors.delete(current);
    }
  };
  if (value === undefined) return fail(path, 'is undefined');
  return visit(value);
}

function validateMetadata(value: JsonValue, fail: (problem: string) => never): EventMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('metadata must be an object');
  const text = (key: string, required: boolean): void => {
    const member = value[key];
    if (member === undefined && !required) return;
    if (typeof member !== 'string' || member.length === 0) fail(`metadata.${key} must be a non-empty string`);
  };
  // `$`-prefixed keys belong to the store (an adapter may keep its own fields there, as the
  // EventStoreDB adapter keeps the hash chain), in every adapter alike.
  const reserved = Object.keys(value).find((key) => key.startsWith('$'));
  if (reserved !== undefined) fail(`metadata.${reserved}: keys starting with "$" are reserved for the store`);
  text('tenantId', true);
  text('correlationId', true);
  text('ticketId', false);
  text('causationId', false);
  const { actor, occurredAt } = value;
  if (
    typeof actor !== 'object' ||
    actor === null ||
    Array.isArray(actor) ||
    !ACTOR_KINDS.has(actor.kind as ActorKind) ||
    typeof actor.id !== 'string' ||
    actor.id.length === 0
  ) {
    fail(`metadata.actor must be { kind: ${[...ACTOR_KINDS].join('|')}, id: non-empty string }`);
  }
  if (
    typeof occurredAt !== 'string' ||
    !ISO_TIMESTAMP.test(occurredAt) ||
    Number.isNaN(Date.parse(occurredAt))
  ) {
    fail('metadata.occurredAt must be an ISO-8601 timestamp with a time zone');
  }
  return value as unknown as EventMetadata;
}

const describe = (value: unknown): string =>
  typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);

import { isIsoDateTime } from './events/shared.v1';
import {
  type PublicEventDataOf,
  type PublicEventType,
  describeUnknownType,
  isPublicEventType,
  publicEventTypes,
  validatePublicEvent,
} from './event-registry';
import { MAX_MESSAGE_BYTES } from './topics';

/** A public event as the relay produces it and a consumer receives it (CloudEvents 1.0 attributes). */
export type PublicEventEnvelopeOf<T extends PublicEventType> = {
  /** CloudEvents `id`: the event id in the store; a redelivery carries the same id. */
  id: string;
  /** CloudEvents `source`, e.g. `/handoff/ownership` (see {@link sourceOf}). */
  source: string;
  type: T;
  /** CloudEvents `subject` = Kafka key: the ticket id for ticket facts. */
  subject: string;
  /** RFC 3339 time the fact occurred. */
  time: string;
  /** Extension `tenantid`. */
  tenantId: string;
  data: PublicEventDataOf<T>;
  /** W3C trace context of the producing request. */
  traceparent?: string;
  dataschema?: string;
  /** Extension `correlationid`: the correlation id of the envelope in the store. */
  correlationId?: string;
  /** Extension `causationid`: the id of the command or event that caused this one. */
  causationId?: string;
};

/** Any public event; narrow it with `switch (event.type)`. */
export type PublicEventEnvelope = { [T in PublicEventType]: PublicEventEnvelopeOf<T> }[PublicEventType];

/** A Kafka message in CloudEvents binary mode, as kafkajs `send` takes it. */
export interface CloudEventKafkaMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** A header value as kafkajs delivers it. */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** A Kafka message as kafkajs delivers it to a consumer (`eachMessage`'s `message`). */
export interface IncomingKafkaMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, KafkaHeaderValue>;
}

/** Why a Kafka message is not a valid public event; stable codes for dead-letter headers and metrics. */
export type InvalidCloudEventReason =
  | 'missing-header'
  | 'invalid-header'
  | 'missing-key'
  | 'key-subject-mismatch'
  | 'attribute-mismatch'
  | 'missing-value'
  | 'too-large'
  | 'malformed-json'
  | 'unknown-type'
  | 'schema-violation';

/** A message that cannot be produced or consumed as a public event. Never retried: dead-letter it. */
export class InvalidCloudEventMessage extends Error {
  override readonly name = 'InvalidCloudEventMessage';

  constructor(
    readonly reason: InvalidCloudEventReason,
    /** Human-readable details (schema errors, the offending header, …). */
    readonly details: readonly string[],
    /** `ce_type` and `ce_id` when they could be read: useful in dead-letter headers. */
    readonly ceType?: string,
    readonly ceId?: string,
  ) {
    super(`${reason}: ${details.join('; ')}`);
  }
}

/** Options of {@link fromKafkaMessage}. */
export interface FromKafkaMessageOptions {
  /** Largest value accepted, in bytes; default {@link MAX_MESSAGE_BYTES}. */
  maxBytes?: number;
}

/** Kafka header names of the CloudEvents attributes (binary mode). */
export const CE_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  subject: 'ce_subject',
  time: 'ce_time',
  dataschema: 'ce_dataschema',
  tenantId: 'ce_tenantid',
  correlationId: 'ce_correlationid',
  causationId: 'ce_causationid',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

/** The only content type of public event data. */
export const CONTENT_TYPE_JSON = 'application/json';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const REQUIRED_HEADERS = [
  CE_HEADERS.specversion,
  CE_HEADERS.id,
  CE_HEADERS.source,
  CE_HEADERS.type,
  CE_HEADERS.subject,
  CE_HEADERS.time,
  CE_HEADERS.tenantId,
  CE_HEADERS.contentType,
] as const;

/** CloudEvents `source` of a service's public events, e.g. `/handoff/ownership`. */
export const sourceOf = (service: string): string => `/handoff/${service}`;

const subjectOf = (type: PublicEventType, data: unknown): unknown =>
  (data as Record<string, unknown>)[publicEventTypes[type].subject];

/** Checks the attributes against each other and the data; throws on the first problem. */
const checkEnvelope = (e: {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  tenantId: string;
  data: unknown;
}): void => {
  const fail = (reason: InvalidCloudEventReason, ...details: string[]): never => {
    throw new InvalidCloudEventMessage(reason, details, e.type, e.id);
  };
  if (!isPublicEventType(e.type)) return fail('unknown-type', describeUnknownType(e.type));
  if (!isIsoDateTime(e.time)) fail('invalid-header', `ce_time is not an RFC 3339 date-time: "${e.time}"`);
  const validation = validatePublicEvent(e.type, e.data);
  if (!validation.ok) fail('schema-violation', ...validation.errors);
  const field = publicEventTypes[e.type].subject;
  if (subjectOf(e.type, e.data) !== e.subject) {
    fail('attribute-mismatch', `ce_subject "${e.subject}" is not data.${field}`);
  }
  if ((e.data as { tenantId: unknown }).tenantId !== e.tenantId) {
    fail('attribute-mismatch', `ce_tenantid "${e.tenantId}" is not data.tenantId`);
  }
};

/**
 * Encodes a public event as a Kafka message in CloudEvents binary mode: attributes in `ce_*`
 * headers, `data` as the JSON value, key = subject (the ticket id for ticket facts).
 *
 * @throws InvalidCloudEventMessage when the event is not a valid public event (the relay must not
 *   publish it).
 */
export const toKafkaMessage = (event: PublicEventEnvelope): CloudEventKafkaMessage => {
  checkEnvelope(event);
  if (event.traceparent !== undefined && !TRACEPARENT.test(event.traceparent)) {
    throw new InvalidCloudEventMessage(
      'invalid-header',
      [`traceparent is not W3C trace context: "${event.traceparent}"`],
      event.type,
      event.id,
    );
  }
  const headers: Record<string, string> = {
    [CE_HEADERS.specversion]: '1.0',
    [CE_HEADERS.id]: event.id,
    [CE_HEADERS.source]: event.source,
    [CE_HEADERS.type]: event.type,
    [CE_HEADERS.subject]: event.subject,
    [CE_HEADERS.time]: event.time,
    [CE_HEADERS.tenantId]: event.tenantId,
    [CE_HEADERS.contentType]: CONTENT_TYPE_JSON,
  };
  if (event.dataschema !== undefined) headers[CE_HEADERS.dataschema] = event.dataschema;
  if (event.correlationId !== undefined) headers[CE_HEADERS.correlationId] = event.correlationId;
  if (event.causationId !== undefined) headers[CE_HEADERS.causationId] = event.causationId;
  if (event.traceparent !== undefined) headers[CE_HEADERS.traceparent] = event.traceparent;
  return { key: event.subject, value: Buffer.from(JSON.stringify(event.data), 'utf8'), headers };
};

const text = (value: Buffer | string): string => (typeof value === 'string' ? value : value.toString('utf8'));

/** Header values by lower-cased name; a header repeated with different values is ambiguous. */
const readHeaders = (headers: Record<string, KafkaHeaderValue> | undefined): Map<string, string> => {
  const read = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    const key = name.toLowerCase();
    for (const value of (Array.isArray(raw) ? raw : [raw]).map(text)) {
      const seen = read.get(key);
      if (seen !== undefined && seen !== value) {
        throw new InvalidCloudEventMessage('invalid-header', [`header ${key} has conflicting values`]);
      }
      read.set(key, value);
    }
  }
  return read;
};

/**
 * Decodes and validates a Kafka message in CloudEvents binary mode as a public event.
 * Accepts header values as kafkajs delivers them (Buffer, string, arrays of either).
 *
 * @throws InvalidCloudEventMessage with a reason code: missing or invalid headers, missing key, a key
 *   that is not the subject, a value too large or not JSON, an unknown type or version, data that
 *   violates the schema or disagrees with the attributes.
 */
export const fromKafkaMessage = (
  message: IncomingKafkaMessage,
  options: FromKafkaMessageOptions = {},
): PublicEventEnvelope => {
  const headers = readHeaders(message.headers);
  const type = headers.get(CE_HEADERS.type);
  const id = headers.get(CE_HEADERS.id);
  const fail = (reason: InvalidCloudEventReason, ...details: string[]): never => {
    throw new InvalidCloudEventMessage(reason, details, type, id);
  };

  if (message.value === null) return fail('missing-value', 'the message has no value (tombstone)');
  const value = typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value;
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  if (value.byteLength > maxBytes)
    fail('too-large', `value has ${value.byteLength} bytes, limit ${maxBytes}`);

  const missing = REQUIRED_HEADERS.filter((h) => !headers.get(h));
  if (missing.length > 0) fail('missing-header', ...missing.map((h) => `missing header ${h}`));
  const attribute = (name: string): string => headers.get(name) ?? '';
  if (attribute(CE_HEADERS.specversion) !== '1.0') {
    fail('invalid-header', `unsupported ce_specversion "${attribute(CE_HEADERS.specversion)}"`);
  }
  const contentType = attribute(CE_HEADERS.contentType);
  if (contentType.split(';')[0]?.trim().toLowerCase() !== CONTENT_TYPE_JSON) {
    fail('invalid-header', `content-type must be ${CONTENT_TYPE_JSON}: "${contentType}"`);
  }
  const subject = attribute(CE_HEADERS.subject);
  if (!isPublicEventType(attribute(CE_HEADERS.type)))
    fail('unknown-type', describeUnknownType(attribute(CE_HEADERS.type)));

  const key = message.key === null || message.key === undefined ? '' : text(message.key);
  if (key === '') fail('missing-key', 'the message has no key');
  if (key !== subject) fail('key-subject-mismatch', `key "${key}" is not ce_subject "${subject}"`);

  let data: unknown;
  try {
    data = JSON.parse(value.toString('utf8'));
  } catch (error) {
    fail('malformed-json', error instanceof Error ? error.message : String(error));
  }

  const envelope = {
    id: attribute(CE_HEADERS.id),
    source: attribute(CE_HEADERS.source),
    type: attribute(CE_HEADERS.type),
    subject,
    time: attribute(CE_HEADERS.time),
    tenantId: attribute(CE_HEADERS.tenantId),
    data,
  };
  checkEnvelope(envelope);
  const optional: Partial<PublicEventEnvelope> = {};
  const dataschema = headers.get(CE_HEADERS.dataschema);
  if (dataschema) optional.dataschema = dataschema;
  const correlationId = headers.get(CE_HEADERS.correlationId);
  if (correlationId) optional.correlationId = correlationId;
  const causationId = headers.get(CE_HEADERS.causationId);
  if (causationId) optional.causationId = causationId;
  // An invalid traceparent is dropped, not fatal: W3C trace context says to start a new trace.
  const traceparent = headers.get(CE_HEADERS.traceparent);
  if (traceparent && TRACEPARENT.test(traceparent)) optional.traceparent = traceparent;
  // Onto the envelope built here, not `{ ...envelope, ...optional }`: properties added after a
  // leading spread take a slow path in Node 20 (V8 11.3), a new hidden class every time.
  return Object.assign(envelope, optional) as PublicEventEnvelope;
};

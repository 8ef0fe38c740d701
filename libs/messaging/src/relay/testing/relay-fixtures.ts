// Test support for the relay's integration specs, its child-process script and its benchmarks.
import type { EventStore, NewEvent, RecordedEvent } from '@handoff/event-store';
import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { deriveEventId } from '../derive-event-id';
import type { RelayMessage } from '../outbox-relay';

/** The test category: streams `relaytest-<ticketId>`. */
export const TEST_CATEGORY = 'relaytest';

/** A public event as the relay specs publish it (the fields of a contracts envelope). */
export interface TestEnvelope {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  tenantId: string;
  data: unknown;
}

/**
 * Internal types and what they map to: `TicketNoted` is internal-only (0 public events),
 * `TicketSplit` yields two, everything else one.
 */
export function testMapper(event: RecordedEvent): TestEnvelope[] {
  // Object literals of one shape (no spread): this runs once per relayed event in the benchmarks.
  const { ticketId, occurredAt, tenantId } = event.metadata;
  const envelope = (id: string, type: string, data: unknown): TestEnvelope => ({
    id,
    source: 'handoff/relay-test',
    type,
    subject: ticketId ?? '',
    time: occurredAt,
    tenantId,
    data,
  });
  switch (event.type) {
    case 'TicketNoted':
      return [];
    case 'TicketSplit':
      return [0, 1].map((i) =>
        envelope(deriveEventId(event.eventId, i), 'handoff.test.ticket-split-part.v1', {
          part: i,
          source: event.data,
        }),
      );
    default:
      return [envelope(event.eventId, 'handoff.test.ticket-progressed.v1', event.data)];
  }
}

/** CloudEvents 1.0 Kafka binding, binary mode. */
export function encodeTestEnvelope(envelope: TestEnvelope): RelayMessage {
  return {
    key: envelope.subject,
    value: Buffer.from(JSON.stringify(envelope.data)),
    headers: {
      ce_specversion: '1.0',
      ce_id: envelope.id,
      ce_source: envelope.source,
      ce_type: envelope.type,
      ce_subject: envelope.subject,
      ce_time: envelope.time,
      ce_tenantid: envelope.tenantId,
      'content-type': 'application/json',
    },
  };
}

/** `count` events on `tickets` streams, appended round-robin (so tickets interleave in the log). */
export async function appendTicketEvents(
  store: EventStore,
  options: { tickets: number; perTicket: number; batch?: number; prefix?: string },
): Promise<{ ticketIds: string[]; lastPosition: bigint }> {
  const prefix = options.prefix ?? 't';
  const ticketIds = Array.from({ length: options.tickets }, (_, t) => `${prefix}${t}`);
  const batch = options.batch ?? 1;
  let lastPosition = -1n;
  for (let seq = 0; seq < options.perTicket; seq += batch) {
    for (const ticketId of ticketIds) {
      const events: NewEvent[] = [];
      for (let i = seq; i < Math.min(seq + batch, options.perTicket); i++) {
        events.push({
          type: 'TicketProgressed',
          data: { ticketId, seq: i },
          metadata: {
            tenantId: 'tenant-1',
            ticketId,
            correlationId: ticketId,
            actor: { kind: 'system', id: 'relay-test' },
            occurredAt: new Date().toISOString(),
          },
        });
      }
      const result = await store.append(`${TEST_CATEGORY}-${ticketId}`, events, { expectedRevision: 'any' });
      lastPosition = result.position;
    }
  }
  return { ticketIds, lastPosition };
}

/** One record read back from a topic. */
export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Reads the whole topic from the beginning until `done(records)` holds (or `timeoutMs` passes), with
 * a plain kafkajs consumer in a fresh group.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  done: (records: ConsumedRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const kafka = new Kafka({ clientId: 'relay-test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({
    groupId: `relay-test-reader-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolveDone: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (resolveDone = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers: stringHeaders(message.headers),
        });
        if (done(records)) resolveDone();
        return Promise.resolve();
      },
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([finished, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** kafkajs headers (Buffer values, possibly arrays) as the strings the binding wrote. */
export function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

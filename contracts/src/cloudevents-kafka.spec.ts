import { Kafka, ValidationError, type CloudEvent, type KafkaMessage } from 'cloudevents';
import {
  InvalidCloudEventMessage,
  fromKafkaMessage,
  sourceOf,
  toKafkaMessage,
  type IncomingKafkaMessage,
  type InvalidCloudEventReason,
  type PublicEventEnvelope,
  type PublicEventEnvelopeOf,
} from './cloudevents-kafka';
import { publicEventTypes, type PublicEventType } from './event-registry';
import { publicEventExamples } from './events/public-event-examples.v1';

const types = Object.keys(publicEventTypes) as PublicEventType[];
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const envelopeOf = (type: PublicEventType): PublicEventEnvelope => {
  const data = publicEventExamples[type] as Record<string, unknown>;
  return {
    id: '0195b7c0-5f3e-7d2a-8c11-3e9f2a7b4d10',
    source: sourceOf(publicEventTypes[type].context),
    type,
    subject: String(data[publicEventTypes[type].subject]),
    time: '2025-03-04T14:02:00.000Z',
    tenantId: String(data['tenantId']),
    data,
    traceparent: TRACEPARENT,
  } as PublicEventEnvelope;
};

const transferred = (): PublicEventEnvelopeOf<'dev.handoff.ownership.OwnershipTransferred.v1'> => ({
  ...(envelopeOf(
    'dev.handoff.ownership.OwnershipTransferred.v1',
  ) as PublicEventEnvelopeOf<'dev.handoff.ownership.OwnershipTransferred.v1'>),
  correlationId: 'corr-1',
  causationId: 'cmd-1',
  dataschema: 'https://schemas.example.com/handoff/ownership/OwnershipTransferred.v1.json',
});

const rejectionOf = (run: () => unknown): InvalidCloudEventReason | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof InvalidCloudEventMessage) return error.reason;
    throw error;
  }
};
const reasonOf = (message: IncomingKafkaMessage): InvalidCloudEventReason | undefined =>
  rejectionOf(() => fromKafkaMessage(message));

/** The SDK's Kafka binding, given the message as kafkajs would carry our produced message. */
const sdkEventOf = (message: {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}): CloudEvent<unknown> => {
  const kafkaMessage: KafkaMessage<Buffer> = { ...message, body: message.value };
  const parsed = Kafka.toEvent(kafkaMessage);
  return (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown>;
};

describe('CloudEvents Kafka binding (binary mode)', () => {
  it('puts the attributes in ce_* headers, the ticket id in the key and the data in the value', () => {
    const event = transferred();
    const message = toKafkaMessage(event);
    expect(message.key).toBe(event.data.ticketId);
    expect(message.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: '/handoff/ownership',
      ce_type: 'dev.handoff.ownership.OwnershipTransferred.v1',
      ce_subject: event.data.ticketId,
      ce_time: event.time,
      ce_tenantid: 'acme',
      ce_dataschema: event.dataschema,
      ce_correlationid: 'corr-1',
      ce_causationid: 'cmd-1',
      'content-type': 'application/json',
      traceparent: TRACEPARENT,
    });
    expect(JSON.parse(message.value.toString('utf8'))).toEqual(event.data);
  });

  it.each(types)('round-trips %s', (type) => {
    const event = envelopeOf(type);
    expect(fromKafkaMessage(toKafkaMessage(event))).toEqual(event);
  });

  it('round-trips the optional attributes', () => {
    expect(fromKafkaMessage(toKafkaMessage(transferred()))).toEqual(transferred());
  });

  it.each(types)('produces %s as a message the official CloudEvents SDK accepts', (type) => {
    const event = envelopeOf(type);
    const message = toKafkaMessage(event);
    const sdkEvent = sdkEventOf(message);
    expect(sdkEvent.validate()).toBe(true);
    expect(sdkEvent).toMatchObject({
      specversion: '1.0',
      id: event.id,
      source: event.source,
      type,
      subject: event.subject,
      time: event.time,
      datacontenttype: 'application/json',
      tenantid: event.tenantId,
      data: event.data,
    });
  });

  it('the SDK rejects what our binding would never produce (the check is real)', () => {
    const message = toKafkaMessage(envelopeOf('dev.handoff.ownership.OwnerAssigned.v1'));
    const bad = { ...message.headers, ce_time: 'not a time' };
    expect(() => sdkEventOf({ ...message, headers: bad })).toThrow();
    const { ce_source: _source, ...withoutSource } = message.headers;
    expect(() => sdkEventOf({ ...message, headers: withoutSource }).validate()).toThrow(ValidationError);
  });

  it('reads header values as kafkajs delivers them: Buffers, strings and arrays', () => {
    const event = transferred();
    const message = toKafkaMessage(event);
    const headers = Object.fromEntries(
      Object.entries(message.headers).map(([name, value], i) => [
        name,
        i % 3 === 0 ? Buffer.from(value) : i % 3 === 1 ? [value, Buffer.from(value)] : value,
      ]),
    );
    expect(
      fromKafkaMessage({
        key: Buffer.from(message.key),
        value: message.value,
        headers: { ...headers, other: undefined },
      }),
    ).toEqual(event);
    expect(fromKafkaMessage({ key: message.key, value: message.value.toString('utf8'), headers })).toEqual(
      event,
    );
  });

  it('drops an invalid traceparent on read (W3C: start a new trace) and refuses to write one', () => {
    const message = toKafkaMessage(transferred());
    const read = fromKafkaMessage({ ...message, headers: { ...message.headers, traceparent: 'garbage' } });
    expect(read.traceparent).toBeUndefined();
    expect(() => toKafkaMessage({ ...transferred(), traceparent: 'garbage' })).toThrow(
      InvalidCloudEventMessage,
    );
  });

  describe('refuses to produce an invalid public event', () => {
    it.each<[string, (e: PublicEventEnvelope) => PublicEventEnvelope, InvalidCloudEventReason]>([
      [
        'data violating the schema',
        (e) => ({ ...e, data: { ...e.data, surprise: 1 } }) as unknown as PublicEventEnvelope,
        'schema-violation',
      ],
      [
        'an unknown type',
        (e) => ({ ...e, type: 'dev.handoff.ownership.OwnerAssigned.v9' }) as never,
        'unknown-type',
      ],
      [
        'a subject that is not the ticket',
        (e) => ({ ...e, subject: 'another-ticket' }),
        'attribute-mismatch',
      ],
      ['a tenant that is not the data tenant', (e) => ({ ...e, tenantId: 'globex' }), 'attribute-mismatch'],
      ['a time without offset', (e) => ({ ...e, time: '2025-03-04T14:02:00' }), 'invalid-header'],
    ])('%s', (_, change, reason) => {
      expect(rejectionOf(() => toKafkaMessage(change(transferred())))).toBe(reason);
    });
  });

  describe('rejects a bad message with a reason code', () => {
    const good = () => toKafkaMessage(transferred());
    const withHeaders = (
      change: (h: Record<string, string>) => Record<string, string>,
    ): IncomingKafkaMessage => {
      const m = good();
      return { ...m, headers: change({ ...m.headers }) };
    };
    const without = (name: string) =>
      withHeaders((h) => {
        delete h[name];
        return h;
      });

    it.each<[string, () => IncomingKafkaMessage, InvalidCloudEventReason]>([
      ['no ce_type', () => without('ce_type'), 'missing-header'],
      ['no ce_id', () => without('ce_id'), 'missing-header'],
      ['no ce_tenantid', () => without('ce_tenantid'), 'missing-header'],
      ['no content-type', () => without('content-type'), 'missing-header'],
      ['an empty ce_subject', () => withHeaders((h) => ({ ...h, ce_subject: '' })), 'missing-header'],
      ['ce_specversion 0.3', () => withHeaders((h) => ({ ...h, ce_specversion: '0.3' })), 'invalid-header'],
      [
        'a text/plain content type',
        () => withHeaders((h) => ({ ...h, 'content-type': 'text/plain' })),
        'invalid-header',
      ],
      [
        'a ce_time that is not a time',
        () => withHeaders((h) => ({ ...h, ce_time: 'yesterday' })),
        'invalid-header',
      ],
      [
        'a header repeated with different values',
        () => ({ ...good(), headers: { ...good().headers, ce_id: ['a', 'b'] } }),
        'invalid-header',
      ],
      ['no key', () => ({ ...good(), key: null }), 'missing-key'],
      ['a key that is not the subject', () => ({ ...good(), key: 'other-ticket' }), 'key-subject-mismatch'],
      [
        'a subject that is not data.ticketId',
        () => ({ ...withHeaders((h) => ({ ...h, ce_subject: 'other' })), key: 'other' }),
        'attribute-mismatch',
      ],
      [
        'a tenant header that is not data.tenantId',
        () => withHeaders((h) => ({ ...h, ce_tenantid: 'globex' })),
        'attribute-mismatch',
      ],
      ['a tombstone', () => ({ ...good(), value: null }), 'missing-value'],
      ['malformed JSON', () => ({ ...good(), value: Buffer.from('{"tenantId": "acme",') }), 'malformed-json'],
      [
        'valid JSON of the wrong shape',
        () => ({ ...good(), value: Buffer.from('{"tenantId":"acme","ticketId":7}') }),
        'schema-violation',
      ],
      [
        'an unknown version',
        () => withHeaders((h) => ({ ...h, ce_type: 'dev.handoff.ownership.OwnershipTransferred.v2' })),
        'unknown-type',
      ],
      [
        'an unknown type',
        () => withHeaders((h) => ({ ...h, ce_type: 'com.example.Whatever' })),
        'unknown-type',
      ],
      ['a 10 MiB value', () => ({ ...good(), value: Buffer.alloc(10 * 1024 * 1024, 0x20) }), 'too-large'],
    ])('%s', (_, message, reason) => {
      expect(reasonOf(message())).toBe(reason);
    });

    it('carries the details, ce_type and ce_id for the dead-letter headers', () => {
      const message = { ...good(), value: Buffer.from('{"tenantId":"acme","ticketId":7}') };
      try {
        fromKafkaMessage(message);
        throw new Error('expected a rejection');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidCloudEventMessage);
        const invalid = error as InvalidCloudEventMessage;
        expect(invalid.ceType).toBe('dev.handoff.ownership.OwnershipTransferred.v1');
        expect(invalid.ceId).toBe(transferred().id);
        expect(invalid.details.join('\n')).toContain('/ticketId');
        expect(invalid.message).toMatch(/^schema-violation: /);
      }
    });

    it('honours a configured size limit', () => {
      expect(rejectionOf(() => fromKafkaMessage(good(), { maxBytes: 100 }))).toBe('too-large');
    });
  });
});

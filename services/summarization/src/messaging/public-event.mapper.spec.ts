import { validatePublicEvent } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import { briefOf, CompiledTaxonomy } from '../domain/brief/brief-engine';
import type { TranscriptMessage } from '../domain/brief/transcript';
import type { BriefVersionRecordedData, RepeatDetectedData } from '../domain/brief-stream.decider';
import { DEFAULT_TAXONOMY } from '../domain/intent/intent-taxonomy';
import { BRIEF_PREPARED, REPEATED_INFORMATION_DETECTED, toPublicEvents } from './public-event.mapper';

const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
const at = '2026-01-10T09:00:00.000Z';
const m = (
  id: string,
  sequence: number,
  sender: TranscriptMessage['sender'],
  text: string,
): TranscriptMessage => ({
  id,
  sequence,
  sender,
  text,
  sentAt: at,
});

const recorded = (type: string, data: unknown): RecordedEvent =>
  ({
    eventId: '0193a5c2-0000-7000-8000-000000000001',
    type,
    schemaVersion: 1,
    data,
    metadata: {
      tenantId: 'tenant-a',
      ticketId: 'tkt-1',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      actor: { kind: 'system', id: 'summarization' },
      occurredAt: at,
    },
    streamName: 'brief-tkt-1',
    revision: 0n,
    globalPosition: 1n,
    recordedAt: new Date(at),
    prevHash: '',
    hash: '',
  }) as unknown as RecordedEvent;

const transcripts: Record<string, TranscriptMessage[]> = {
  empty: [],
  'bot only': [m('b1', 1, 'bot', 'Hello! How can I help?')],
  'a 50,000-character message': [m('c1', 1, 'customer', `Order 123456 is late. ${'x'.repeat(49_970)}`)],
  'HTML with quoted history': [
    m('c1', 1, 'customer', '<p>Refund order 5512 please</p><blockquote>old order 99</blockquote>'),
  ],
  'mixed scripts': [
    m('c1', 1, 'customer', '注文 12345 не пришло 😡'),
    m('a2', 2, 'agent', 'I have refunded you.'),
  ],
};

describe('public event mapper', () => {
  it.each(Object.entries(transcripts))('maps the brief of %s to a valid BriefPrepared', (_name, messages) => {
    const content = briefOf(messages, taxonomy);
    const data: BriefVersionRecordedData = {
      briefId: 'brief-1',
      version: 1,
      trigger: 'handoff_requested',
      handoffId: 'hnd-1',
      messagesSinceCovered: 0,
      content,
      engine: { name: 'deterministic', version: '1.0.0' },
      redacted: false,
      preparedAt: at,
    };
    const [event] = toPublicEvents(recorded('BriefVersionRecorded', data));
    expect(event).toMatchObject({
      type: BRIEF_PREPARED,
      subject: 'tkt-1',
      tenantId: 'tenant-a',
      correlationId: 'corr-1',
    });
    const validation = validatePublicEvent(BRIEF_PREPARED, event?.data);
    expect(validation.ok ? [] : validation.errors).toEqual([]);
    expect(event?.data).toMatchObject({ coversPosition: String(messages.length), handoffId: 'hnd-1' });
  });

  it('maps a repeat detection to a valid RepeatedInformationDetected, without internal fields', () => {
    const data: RepeatDetectedData = {
      detectionId: 'det-1',
      handoffId: 'hnd-1',
      messageId: 'c9',
      repeatKind: 'restated_value',
      repeatedFacts: [{ kind: 'order_number', value: '5512', firstSeenIn: ['c1'] }],
      similarity: 0.8,
      evidence: ['c9', 'c1'],
      brief: { briefId: 'brief-1', version: 1 },
      detectedAt: at,
    };
    const [event] = toPublicEvents(recorded('RepeatDetected', data));
    expect(event?.type).toBe(REPEATED_INFORMATION_DETECTED);
    expect(validatePublicEvent(REPEATED_INFORMATION_DETECTED, event?.data).ok).toBe(true);
    expect(event?.data).not.toHaveProperty('detectedAt');
  });

  it('publishes nothing for an unknown internal event', () => {
    expect(toPublicEvents(recorded('SomethingElse', {}))).toEqual([]);
  });
});

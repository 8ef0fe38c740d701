import { publicEventExamples, toKafkaMessage, type PublicEventEnvelope } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import { traceparentOf, withTraceContext } from './trace-context';

const recorded = (eventId: string, metadata: Record<string, unknown>): RecordedEvent =>
  ({
    eventId,
    metadata: { tenantId: 't1', correlationId: 'corr-1', ...metadata },
  }) as unknown as RecordedEvent;

describe('trace context of published events', () => {
  it('derives one trace per correlation id and one parent per event, the same on every relay run', () => {
    const a = traceparentOf(recorded('e1', {}));
    const b = traceparentOf(recorded('e2', {}));
    const other = traceparentOf(recorded('e3', { correlationId: 'corr-2' }));
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(a.slice(3, 35)).toBe(b.slice(3, 35));
    expect(a.slice(36, 52)).not.toBe(b.slice(36, 52));
    expect(other.slice(3, 35)).not.toBe(a.slice(3, 35));
    expect(traceparentOf(recorded('e1', {}))).toBe(a);
  });

  it('keeps a valid traceparent recorded with the command, and ignores an invalid one', () => {
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(traceparentOf(recorded('e1', { traceparent: given }))).toBe(given);
    expect(traceparentOf(recorded('e1', { traceparent: 'nonsense' }))).not.toBe('nonsense');
  });

  it('adds the header to every mapped envelope that has none', () => {
    const type = 'dev.handoff.ownership.OwnerAssigned.v1';
    const data = publicEventExamples[type] as { tenantId: string; ticketId: string };
    const envelope = {
      id: '0193a5c2-0000-7000-8000-000000000001',
      source: '/handoff/ownership',
      type,
      subject: data.ticketId,
      tenantId: data.tenantId,
      time: '2025-03-04T14:02:00.000Z',
      data,
    } as unknown as PublicEventEnvelope;
    const map = withTraceContext(() => [
      envelope,
      { ...envelope, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    ]);
    const [first, second] = map(recorded('e1', {}));
    expect(first?.traceparent).toBe(traceparentOf(recorded('e1', {})));
    expect(second?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(toKafkaMessage(first as PublicEventEnvelope).headers.traceparent).toBe(first?.traceparent);
  });
});

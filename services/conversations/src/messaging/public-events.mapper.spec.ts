import { toKafkaMessage, validatePublicEvent } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { CustomerEvent } from '../domain/customer.decider';
import type { TicketEvent } from '../domain/ticket.decider';
import { toPublicEvents } from './public-events.mapper';

const ID = '0193b1c2-0000-7000-8000-000000000001';
const T = '0193b1c2-0000-7000-8000-0000000000aa';
const C = '0193b1c2-0000-7000-8000-0000000000cc';
const agent = { kind: 'agent' as const, id: 'tenant-a/abc' };
const ig = {
  kind: 'social_handle' as const,
  value: 'jane.doe',
  channel: 'instagram' as const,
  verified: false,
};

const recorded = (event: CustomerEvent | TicketEvent | { type: string; data: unknown }): RecordedEvent => ({
  eventId: ID,
  type: event.type,
  schemaVersion: 1,
  data: event.data,
  metadata: {
    tenantId: 'tenant-a',
    ticketId: T,
    correlationId: 'corr-1',
    causationId: 'req-1',
    actor: agent,
    occurredAt: '2026-11-29T10:00:00.000Z',
  },
  streamName: `ticket-${T}`,
  revision: 0n,
  globalPosition: 1n,
  recordedAt: new Date(),
  prevHash: '0',
  hash: '1',
});

const published: (CustomerEvent | TicketEvent)[] = [
  {
    type: 'IdentityAdded',
    data: { customerId: C, identity: ig, how: 'resolved', newCustomer: true, by: agent },
  },
  {
    type: 'IdentityAdded',
    data: {
      customerId: C,
      identity: ig,
      how: 'linked',
      newCustomer: false,
      by: agent,
      reason: 'checked',
      ticketId: T,
    },
  },
  {
    type: 'CustomersMerged',
    data: {
      mergeId: 'm1',
      customerId: C,
      mergedCustomerId: 'c2',
      movedIdentities: [ig],
      movedTicketIds: [T],
      mergedBy: agent,
      reason: 'same',
    },
  },
  {
    type: 'CustomerMergeUndone',
    data: {
      mergeId: 'm1',
      customerId: C,
      restoredCustomerId: 'c2',
      restoredIdentities: [ig],
      restoredTicketIds: [T],
      undoneBy: agent,
      reason: 'two people',
    },
  },
  {
    type: 'TicketOpened',
    data: {
      ticketId: T,
      tenantId: 'tenant-a',
      customerId: C,
      channel: 'instagram',
      openedBy: { kind: 'customer', id: C },
      firstMessageId: 'm1',
    },
  },
  {
    type: 'MessageReceived',
    data: {
      ticketId: T,
      messageId: 'm1',
      sequence: 1,
      customerId: C,
      channel: 'instagram',
      channelMessageId: 'ig-1',
      channelThreadId: 'ig-thread',
      sender: { kind: 'customer', id: C, displayName: 'Jane' },
      text: 'hi',
      attachments: [{ fileName: 'a.png', contentType: 'image/png', sizeBytes: 10 }],
      sentAt: '2026-11-29T09:59:00.000Z',
    },
  },
  {
    type: 'ChannelSwitched',
    data: { ticketId: T, customerId: C, fromChannel: 'instagram', toChannel: 'whatsapp', messageId: 'm2' },
  },
  {
    type: 'TicketFlaggedForReview',
    data: {
      ticketId: T,
      customerId: C,
      reason: 'several_open_tickets',
      messageId: 'm2',
      otherTicketIds: ['t0'],
    },
  },
  { type: 'TicketClosed', data: { ticketId: T, closedBy: agent, resolution: 'resolved' } },
  { type: 'TicketReopened', data: { ticketId: T, reopenedBy: agent, reason: 'back' } },
  { type: 'TicketMerged', data: { ticketId: T, mergedTicketId: 't0', mergedBy: agent } },
  {
    type: 'CsatRecorded',
    data: {
      ticketId: T,
      responseId: 'r1',
      customerId: C,
      score: 4,
      channel: 'email',
      respondedAt: '2026-11-29T11:00:00.000Z',
      owner: { kind: 'agent', id: 'agent-7' },
      precedingHandoffIds: ['h1'],
    },
  },
];

describe('public event mapper', () => {
  it.each(published.map((e, i) => [`${e.type} #${i}`, e] as const))(
    'maps %s to a valid public event',
    (_name, event) => {
      const [envelope, ...more] = toPublicEvents(recorded(event));
      expect(more).toEqual([]);
      if (!envelope) throw new Error('nothing mapped');
      const validation = validatePublicEvent(envelope.type, envelope.data);
      expect(validation).toMatchObject({ ok: true });
      expect(envelope.id).toBe(ID);
      expect(envelope.tenantId).toBe('tenant-a');
      expect(() => toKafkaMessage(envelope)).not.toThrow();
    },
  );

  it('keeps internal facts and unknown types internal', () => {
    for (const type of [
      'CustomerCreated',
      'CustomerMergedInto',
      'CustomerRestored',
      'TicketMergedInto',
      'IdentityBound',
      'MessagePlanned',
      'MessageIngested',
    ])
      expect(toPublicEvents(recorded({ type, data: {} }))).toEqual([]);
  });

  it('publishes the message sequence (the conversation position)', () => {
    const [envelope] = toPublicEvents(recorded(published[5] as TicketEvent));
    expect(envelope?.type).toBe('dev.handoff.conversations.MessageReceived.v1');
    expect((envelope?.data as { sequence: number }).sequence).toBe(1);
  });
});

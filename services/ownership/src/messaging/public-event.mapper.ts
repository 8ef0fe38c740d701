import { sourceOf, type PublicEventEnvelope } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { OwnershipEvent } from '../domain/ownership.events';

const TYPE_PREFIX = 'dev.handoff.ownership.';

/**
 * Internal ownership event → the public v1 event it means (whitelisting the contract's fields; the
 * internal `at` becomes the CloudEvents `time`). `OwnershipOpened` is internal only. One public event
 * per internal one, so the public id is the internal event id and a republished event keeps it.
 */
export function toPublicEvents(recorded: RecordedEvent): PublicEventEnvelope[] {
  const event = { type: recorded.type, data: recorded.data } as OwnershipEvent;
  const { tenantId, ticketId } = event.data;
  const envelope = (name: string, data: Record<string, unknown>): PublicEventEnvelope =>
    ({
      id: recorded.eventId,
      source: sourceOf('ownership'),
      type: `${TYPE_PREFIX}${name}.v1`,
      subject: ticketId,
      time: event.data.at,
      tenantId,
      correlationId: recorded.metadata.correlationId,
      ...(recorded.metadata.causationId ? { causationId: recorded.metadata.causationId } : {}),
      data: { tenantId, ticketId, ...data },
    }) as PublicEventEnvelope;
  const d = event.data;
  switch (event.type) {
    case 'OwnershipOpened':
      return [];
    case 'OwnerAssigned':
      return [
        envelope('OwnerAssigned', {
          owner: event.data.owner,
          how: event.data.how,
          assignedBy: event.data.assignedBy,
          ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
          ...(event.data.handoffId === undefined ? {} : { handoffId: event.data.handoffId }),
          ...(event.data.brief === undefined ? {} : { brief: event.data.brief }),
        }),
      ];
    case 'OwnershipTransferred':
      return [
        envelope('OwnershipTransferred', {
          from: event.data.from,
          to: event.data.to,
          transferredBy: event.data.transferredBy,
          reason: event.data.reason,
          ...(event.data.handoffId === undefined ? {} : { handoffId: event.data.handoffId }),
          ...(event.data.brief === undefined ? {} : { brief: event.data.brief }),
          ...(event.data.shiftHandoverId === undefined
            ? {}
            : { shiftHandoverId: event.data.shiftHandoverId }),
        }),
      ];
    case 'OwnershipReleased':
      return [
        envelope('OwnershipReleased', {
          previousOwner: event.data.previousOwner,
          releasedBy: event.data.releasedBy,
          reason: event.data.reason,
        }),
      ];
    case 'OwnershipLapsed':
      return [
        envelope('OwnershipLapsed', {
          ...(event.data.previousOwner === undefined ? {} : { previousOwner: event.data.previousOwner }),
          lapsedSince: event.data.lapsedSince,
          cause: event.data.cause,
        }),
      ];
    case 'ShiftHandoverRequested':
      return [
        envelope('ShiftHandoverRequested', {
          handoverId: event.data.handoverId,
          fromAgent: event.data.fromAgent,
          toAgent: event.data.toAgent,
          note: event.data.note,
          acknowledgeBy: event.data.acknowledgeBy,
        }),
      ];
    case 'ShiftHandoverAcknowledged':
      return [
        envelope('ShiftHandoverAcknowledged', {
          handoverId: event.data.handoverId,
          acknowledgedBy: event.data.acknowledgedBy,
        }),
      ];
    case 'ShiftHandoverEscalated':
      return [
        envelope('ShiftHandoverEscalated', {
          handoverId: event.data.handoverId,
          toAgent: event.data.toAgent,
          ...(event.data.supervisor === undefined ? {} : { supervisor: event.data.supervisor }),
          overdueSince: event.data.overdueSince,
        }),
      ];
    case 'TicketClosed':
      return [
        envelope('TicketClosed', {
          ...(event.data.finalOwner === undefined ? {} : { finalOwner: event.data.finalOwner }),
          closedBy: event.data.closedBy,
        }),
      ];
    case 'TicketReopened':
      return [
        envelope('TicketReopened', {
          ...(event.data.previousOwner === undefined ? {} : { previousOwner: event.data.previousOwner }),
          routedTo: event.data.routedTo,
          reopenedBy: event.data.reopenedBy,
        }),
      ];
    case 'OwnershipLoopDetected':
      return [
        envelope('OwnershipLoopDetected', {
          pattern: event.data.pattern,
          ownerChanges: event.data.ownerChanges,
          windowSeconds: event.data.windowSeconds,
          owners: event.data.owners,
        }),
      ];
    default:
      throw new Error(`no public mapping for ${JSON.stringify(d)}`);
  }
}

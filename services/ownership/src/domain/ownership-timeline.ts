import type { OwnershipEvent } from './ownership.events';
import type { OwnerRef } from './ownership.types';

/** A stretch of a ticket's life with one status: owned by exactly one owner, lapsed, or closed. */
export interface OwnershipSegment {
  status: 'owned' | 'lapsed' | 'closed';
  owner?: OwnerRef;
  /** Inclusive start (ISO-8601). */
  from: string;
  /** Exclusive end; absent for the current segment. */
  to?: string;
}

/**
 * The segments a ticket's events describe, in order: each owner change, lapse, close or reopen ends
 * the current segment and starts the next, so at any instant exactly one segment applies.
 */
export function ownershipTimeline(events: readonly OwnershipEvent[]): OwnershipSegment[] {
  const segments: OwnershipSegment[] = [];
  const start = (segment: OwnershipSegment) => {
    const current = segments[segments.length - 1];
    if (current && current.to === undefined) current.to = segment.from;
    segments.push(segment);
  };
  for (const event of events) {
    switch (event.type) {
      case 'OwnerAssigned':
        start({ status: 'owned', owner: event.data.owner, from: event.data.at });
        break;
      case 'OwnershipTransferred':
        start({ status: 'owned', owner: event.data.to, from: event.data.at });
        break;
      case 'OwnershipLapsed':
        start({ status: 'lapsed', from: event.data.lapsedSince });
        break;
      case 'TicketClosed':
        start({ status: 'closed', from: event.data.at });
        break;
      case 'OwnershipOpened':
      case 'OwnershipReleased':
      case 'ShiftHandoverRequested':
      case 'ShiftHandoverAcknowledged':
      case 'ShiftHandoverEscalated':
      case 'TicketReopened':
      case 'OwnershipLoopDetected':
        break;
    }
  }
  return segments;
}

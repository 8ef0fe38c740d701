import { hash } from 'node:crypto';
import type { PublicEventEnvelope } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { PublicEventMapper } from './outbox-relay';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const hex = (text: string, length: number): string => hash('sha256', text, 'hex').slice(0, length);

/**
 * The W3C `traceparent` of the public events published for a stored event: the one recorded in its
 * metadata when the command carried one, else one derived from it — the trace id from the
 * correlation id (so every event of one flow, in every service, shares a trace) and the parent id
 * from the event id. Derived, not random: a relay that publishes the event again after a crash
 * sends the same header.
 */
export function traceparentOf(event: RecordedEvent): string {
  const recorded = (event.metadata as { traceparent?: unknown }).traceparent;
  if (typeof recorded === 'string' && TRACEPARENT.test(recorded)) return recorded;
  const correlationId =
    typeof event.metadata.correlationId === 'string' ? event.metadata.correlationId : event.eventId;
  return `00-${hex(`trace:${correlationId}`, 32)}-${hex(`span:${event.eventId}`, 16)}-01`;
}

/** Wraps a relay mapper so every public event it yields carries trace context (see {@link traceparentOf}). */
export function withTraceContext(
  map: PublicEventMapper<PublicEventEnvelope>,
): PublicEventMapper<PublicEventEnvelope> {
  return (event) => {
    const envelopes = map(event);
    if (envelopes.length === 0) return envelopes;
    const traceparent = traceparentOf(event);
    // Not `{ ...envelope, traceparent }`: a property a literal adds after a leading spread takes a
    // slow path in Node 20 (V8 11.3), a new hidden class every time.
    return envelopes.map((envelope) =>
      envelope.traceparent === undefined ? Object.assign({}, envelope, { traceparent }) : envelope,
    );
  };
}

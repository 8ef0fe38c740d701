import { type NewEvent } from '../src';

/** A realistic handoff-sized event (~400 bytes of data + metadata). */
export function handoffEvent(ticket: string, n: number): NewEvent {
  return {
    type: 'HandoffRequested',
    data: {
      handoffId: `h-${ticket}-${n}`,
      kind: 'tier_escalation',
      from: { kind: 'agent', id: 'agent-17', team: 'tier-1' },
      to: { kind: 'team', id: 'tier-2' },
      reason: 'needs_engineering',
      note: 'Customer reports a failed refund for order 8812-22; steps tried: resend, manual refund.',
      priority: 'high',
    },
    metadata: {
      tenantId: 'tenant-bench',
      ticketId: ticket,
      correlationId: `c-${ticket}`,
      actor: { kind: 'agent', id: 'agent-17' },
      occurredAt: '2026-11-24T10:00:00.000Z',
    },
  };
}

/** The same row as the store writes, for the plain-`pg` baselines. */
export const BASELINE_TABLE_SQL = `
  CREATE TABLE baseline_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_name text NOT NULL,
    revision bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    type text NOT NULL,
    schema_version integer NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_name, revision)
  )`;

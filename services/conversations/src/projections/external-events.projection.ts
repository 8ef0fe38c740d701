import type { PublicEventEnvelope } from '@handoff/contracts';
import type { PoolClient } from 'pg';
import { READ_MODEL_SCHEMA as S } from './read-model.schema';

type Data = Record<string, unknown>;
interface Ref {
  kind: string;
  id: string;
}

const ACTOR_FIELDS = [
  'requestedBy',
  'transferredBy',
  'assignedBy',
  'releasedBy',
  'cancelledBy',
  'handedBackBy',
  'closedBy',
  'reopenedBy',
] as const;
const AGENT_FIELDS = ['agent', 'acknowledgedBy', 'fromAgent', 'supervisor'] as const;

const isRef = (value: unknown): value is Ref =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Ref).kind === 'string' &&
  typeof (value as Ref).id === 'string';

/** Who did it, as far as the public event says. */
export function actorOf(source: string, data: Data): Ref {
  for (const field of ACTOR_FIELDS) {
    const value = data[field];
    if (isRef(value)) return value;
  }
  for (const field of AGENT_FIELDS) {
    const value = data[field] as { agentId?: unknown } | undefined;
    if (value && typeof value.agentId === 'string') return { kind: 'agent', id: value.agentId };
  }
  return { kind: 'system', id: source };
}

/**
 * Applies a handoff or ownership fact of the other services to the timeline (and to the owner and
 * handoff tables used for CSAT attribution), inside the consumer runtime's transaction. Facts that
 * are not about a ticket (agent presence) are not part of any timeline.
 */
export async function projectExternalEvent(event: PublicEventEnvelope, tx: PoolClient): Promise<void> {
  const data = event.data as Data;
  const ticketId = data['ticketId'];
  if (typeof ticketId !== 'string') return;
  const tenantId = event.tenantId;
  const [, , source = 'unknown', kind = event.type] = event.type.split('.');
  const at = new Date(event.time).toISOString();
  const actor = actorOf(source, data);
  const channel = typeof data['channel'] === 'string' ? data['channel'] : null;
  const { tenantId: _tenant, ticketId: _ticket, ...payload } = data;
  await tx.query(
    `INSERT INTO ${S}.timeline_items
       (item_id, tenant_id, ticket_id, occurred_at, source, kind, channel, actor_kind, actor_id, sequence, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)
     ON CONFLICT (item_id) DO NOTHING`,
    [
      `${source}:${event.id}`,
      tenantId,
      ticketId,
      at,
      source,
      kind,
      channel,
      actor.kind,
      actor.id,
      JSON.stringify(payload),
    ],
  );
  if (event.type === 'dev.handoff.escalation.HandoffRequested.v1') {
    await tx.query(
      `INSERT INTO ${S}.ticket_handoffs (ticket_id, handoff_id, tenant_id, requested_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (ticket_id, handoff_id) DO NOTHING`,
      [ticketId, event.data.handoffId, tenantId, at],
    );
    return;
  }
  const owner = ownerAfter(event);
  if (owner === undefined) return;
  // Only a newer fact moves the owner: redelivered or reordered facts must not roll it back.
  await tx.query(
    `INSERT INTO ${S}.ticket_owners (ticket_id, tenant_id, owner, changed_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (ticket_id) DO UPDATE SET owner = EXCLUDED.owner, changed_at = EXCLUDED.changed_at
     WHERE ${S}.ticket_owners.changed_at <= EXCLUDED.changed_at AND ${S}.ticket_owners.tenant_id = EXCLUDED.tenant_id`,
    [ticketId, tenantId, owner === null ? null : JSON.stringify(owner), at],
  );
}

/** The owner after an ownership fact: an owner, `null` (none), or undefined (no change). */
function ownerAfter(event: PublicEventEnvelope): object | null | undefined {
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- only owner changes matter
  switch (event.type) {
    case 'dev.handoff.ownership.OwnerAssigned.v1':
      return event.data.owner;
    case 'dev.handoff.ownership.OwnershipTransferred.v1':
      return event.data.to;
    case 'dev.handoff.ownership.OwnershipReleased.v1':
    case 'dev.handoff.ownership.OwnershipLapsed.v1':
      return null;
    // Every other fact leaves the owner as it was (closing keeps the final owner on record).
    default:
      return undefined;
  }
}

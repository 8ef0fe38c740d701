// Facts of other contexts kept in the escalation read model, applied by the Kafka consumers inside
// the consumer runtime's transaction (together with the processed-message id): tickets and their
// last message sequence (conversations), briefs (summarization), previous owners (ownership).
import type { PublicEventEnvelope } from '@handoff/contracts';
import type { PoolClient } from 'pg';
import { releaseHolds } from './capacity-holds';
import { scheduleDeadline } from './escalation.projection';

async function upsertTicket(
  tx: PoolClient,
  tenantId: string,
  ticketId: string,
  at: string,
  fields: { status?: string; customerId?: string; channel?: string; lastSequence?: number },
): Promise<void> {
  await tx.query(
    `INSERT INTO escalation.tickets (tenant_id, ticket_id, customer_id, status, channel, last_sequence, updated_at)
     VALUES ($1, $2, $3, COALESCE($4, 'unknown'), $5, COALESCE($6, 0), $7)
     ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET
       customer_id = COALESCE(EXCLUDED.customer_id, tickets.customer_id),
       status = COALESCE($4, tickets.status),
       channel = COALESCE(EXCLUDED.channel, tickets.channel),
       last_sequence = GREATEST(tickets.last_sequence, EXCLUDED.last_sequence),
       updated_at = GREATEST(tickets.updated_at, EXCLUDED.updated_at)`,
    [
      tenantId,
      ticketId,
      fields.customerId ?? null,
      fields.status ?? null,
      fields.channel ?? null,
      fields.lastSequence ?? null,
      at,
    ],
  );
}

export async function applyConversationsEvent(event: PublicEventEnvelope, tx: PoolClient): Promise<void> {
  if (event.type === 'dev.handoff.conversations.TicketOpened.v1') {
    const d = event.data;
    await upsertTicket(tx, d.tenantId, d.ticketId, event.time, {
      status: 'open',
      customerId: d.customerId,
      channel: d.channel,
    });
  } else if (event.type === 'dev.handoff.conversations.MessageReceived.v1') {
    const d = event.data;
    await upsertTicket(tx, d.tenantId, d.ticketId, event.time, {
      customerId: d.customerId,
      channel: d.channel,
      lastSequence: d.sequence,
    });
  } else if (event.type === 'dev.handoff.conversations.TicketReopened.v1') {
    await upsertTicket(tx, event.data.tenantId, event.data.ticketId, event.time, { status: 'open' });
  } else if (
    event.type === 'dev.handoff.conversations.TicketClosed.v1' ||
    event.type === 'dev.handoff.conversations.TicketMerged.v1'
  ) {
    const d = event.data;
    // A merged ticket lives on in the survivor: the merged one takes no handoffs any more.
    const closedTicket =
      event.type === 'dev.handoff.conversations.TicketMerged.v1' ? event.data.mergedTicketId : d.ticketId;
    await upsertTicket(tx, d.tenantId, closedTicket, event.time, { status: 'closed' });
    // Work on a closed ticket no longer counts toward its agent's load.
    await tx.query(
      `UPDATE escalation.handoffs SET holds_capacity = false WHERE tenant_id = $1 AND ticket_id = $2 AND holds_capacity`,
      [d.tenantId, closedTicket],
    );
    await releaseHolds(tx, { tenantId: d.tenantId, ticketId: closedTicket }, event.time);
  } else if (event.type === 'dev.handoff.conversations.ChannelSwitched.v1') {
    const d = event.data;
    await upsertTicket(tx, d.tenantId, d.ticketId, event.time, {
      customerId: d.customerId,
      channel: d.toChannel,
    });
    // Turned into a channel_switch handoff by the deadline poller (durable, once per event id).
    await scheduleDeadline(tx, {
      tenantId: d.tenantId,
      handoffId: null,
      kind: 'channel_switch',
      ref: event.id,
      dueAt: new Date(),
      payload: {
        eventId: event.id,
        correlationId: event.correlationId ?? event.id,
        ticketId: d.ticketId,
        fromChannel: d.fromChannel,
        toChannel: d.toChannel,
        messageId: d.messageId,
      },
    });
  }
  // The other conversations facts (identities, CSAT…) do not concern routing.
}

export async function applySummarizationEvent(event: PublicEventEnvelope, tx: PoolClient): Promise<void> {
  if (event.type !== 'dev.handoff.summarization.BriefPrepared.v1') return;
  const d = event.data;
  await tx.query(
    `INSERT INTO escalation.briefs (tenant_id, ticket_id, brief_id, version, covers_position, handoff_id, language, prepared_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [
      d.tenantId,
      d.ticketId,
      d.briefId,
      d.version,
      d.coversPosition,
      d.handoffId ?? null,
      d.language,
      event.time,
    ],
  );
  // Handoffs of the ticket still waiting for a brief are looked at again now (the decider checks
  // that the brief covers their position).
  await tx.query(
    `INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
     SELECT tenant_id, handoff_id, 'progress', $3 || ':' || handoff_id, now(), $4
       FROM escalation.handoffs
      WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'requested' AND brief_id IS NULL
        AND conversation_position <= $5
     ON CONFLICT (kind, ref) DO NOTHING`,
    [
      d.tenantId,
      d.ticketId,
      event.id,
      JSON.stringify({ correlationId: event.correlationId ?? event.id, causationId: event.id }),
      d.coversPosition,
    ],
  );
}

export async function applyOwnershipEvent(event: PublicEventEnvelope, tx: PoolClient): Promise<void> {
  let owner: { kind: string; id: string } | null;
  if (event.type === 'dev.handoff.ownership.OwnerAssigned.v1') owner = event.data.owner;
  else if (event.type === 'dev.handoff.ownership.OwnershipTransferred.v1') owner = event.data.to;
  else if (event.type === 'dev.handoff.ownership.OwnershipReleased.v1') owner = null;
  else return;
  const { tenantId, ticketId } = event.data;
  await upsertTicket(tx, tenantId, ticketId, event.time, {});
  await tx.query(
    `UPDATE escalation.tickets SET owner_kind = $3, owner_id = $4 WHERE tenant_id = $1 AND ticket_id = $2`,
    [tenantId, ticketId, owner?.kind ?? null, owner?.id ?? null],
  );
  if (owner?.kind === 'agent') {
    await tx.query(
      `INSERT INTO escalation.owner_history (event_id, tenant_id, ticket_id, agent_id, since)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
      [event.id, tenantId, ticketId, owner.id, event.time],
    );
  }
}

import type { RecordedEvent } from '@handoff/event-store';
import type { PoolClient } from 'pg';
import type { CustomerEvent } from '../domain/customer.decider';
import type { TicketEvent } from '../domain/ticket.decider';
import { READ_MODEL_SCHEMA as S } from './read-model.schema';

type OwnEvent = CustomerEvent | TicketEvent;

/**
 * The read model of the service's own `customer-*` and `ticket-*` streams, applied by the
 * ProjectionRunner inside the transaction that also moves its checkpoint. Every statement is an
 * upsert or an idempotent update, so replaying an event changes nothing.
 */
export async function projectOwnEvent(recorded: RecordedEvent, tx: PoolClient): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as OwnEvent;
  const tenantId = recorded.metadata.tenantId;
  const at = recorded.metadata.occurredAt;
  const actor = recorded.metadata.actor;
  const position = recorded.globalPosition.toString();
  const item = (
    ticketId: string,
    kind: string,
    channel: string | null,
    payload: object,
    itemId = recorded.eventId,
  ) =>
    tx.query(
      `INSERT INTO ${S}.timeline_items
         (item_id, tenant_id, ticket_id, occurred_at, source, kind, channel, actor_kind, actor_id, sequence, payload, position)
       VALUES ($1, $2, $3, $4, 'conversations', $5, $6, $7, $8, NULL, $9, $10)
       ON CONFLICT (item_id) DO NOTHING`,
      [
        itemId,
        tenantId,
        ticketId,
        at,
        kind,
        channel,
        actor.kind,
        actor.id,
        JSON.stringify(payload),
        position,
      ],
    );

  switch (event.type) {
    case 'CustomerCreated':
    case 'CustomerMergedInto':
    case 'CustomerRestored':
      return;
    case 'IdentityAdded': {
      const { identity } = event.data;
      await tx.query(
        `INSERT INTO ${S}.customer_identities (tenant_id, kind, value, customer_id, channel, verified, how)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, kind, value)
         DO UPDATE SET customer_id = EXCLUDED.customer_id, verified = EXCLUDED.verified, how = EXCLUDED.how`,
        [
          tenantId,
          identity.kind,
          identity.value,
          event.data.customerId,
          identity.channel ?? null,
          identity.verified,
          event.data.how,
        ],
      );
      return;
    }
    case 'CustomersMerged':
      await tx.query(
        `UPDATE ${S}.customer_identities SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2`,
        [tenantId, event.data.mergedCustomerId, event.data.customerId],
      );
      await tx.query(
        `UPDATE ${S}.tickets SET customer_id = $3
         WHERE tenant_id = $1 AND (customer_id = $2 OR ticket_id = ANY($4::text[]))`,
        [tenantId, event.data.mergedCustomerId, event.data.customerId, event.data.movedTicketIds],
      );
      return;
    case 'CustomerMergeUndone':
      for (const identity of event.data.restoredIdentities) {
        await tx.query(
          `UPDATE ${S}.customer_identities SET customer_id = $4
           WHERE tenant_id = $1 AND kind = $2 AND value = $3`,
          [tenantId, identity.kind, identity.value, event.data.restoredCustomerId],
        );
      }
      await tx.query(
        `UPDATE ${S}.tickets SET customer_id = $2 WHERE tenant_id = $1 AND ticket_id = ANY($3::text[])`,
        [tenantId, event.data.restoredCustomerId, event.data.restoredTicketIds],
      );
      return;
    case 'TicketOpened':
      await tx.query(
        `INSERT INTO ${S}.tickets (ticket_id, tenant_id, customer_id, status, channels, opened_at, last_activity_at)
         VALUES ($1, $2, $3, 'open', ARRAY[$4::text], $5, $5)
         ON CONFLICT (ticket_id) DO NOTHING`,
        [event.data.ticketId, tenantId, event.data.customerId, event.data.channel, at],
      );
      await item(event.data.ticketId, 'TicketOpened', event.data.channel, {
        openedBy: event.data.openedBy,
        ...(event.data.subject === undefined ? {} : { subject: event.data.subject }),
      });
      return;
    case 'MessageReceived': {
      const m = event.data;
      await tx.query(
        `UPDATE ${S}.tickets SET
           message_count = GREATEST(message_count, $2),
           last_activity_at = GREATEST(last_activity_at, $3),
           channels = CASE WHEN $4 = ANY(channels) THEN channels ELSE channels || $4::text END
         WHERE ticket_id = $1`,
        [m.ticketId, m.sequence, at, m.channel],
      );
      if (m.channelThreadId !== undefined) {
        await tx.query(
          `INSERT INTO ${S}.ticket_threads (tenant_id, channel, thread_id, ticket_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, channel, thread_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id`,
          [tenantId, m.channel, m.channelThreadId, m.ticketId],
        );
      }
      await tx.query(
        `INSERT INTO ${S}.timeline_items
           (item_id, tenant_id, ticket_id, occurred_at, source, kind, channel, actor_kind, actor_id, sequence, payload, position)
         VALUES ($1, $2, $3, $4, 'conversations', 'MessageReceived', $5, $6, $7, $8, $9, $10)
         ON CONFLICT (item_id) DO NOTHING`,
        [
          m.messageId,
          tenantId,
          m.ticketId,
          at,
          m.channel,
          m.sender.kind,
          m.sender.id,
          m.sequence,
          JSON.stringify({
            messageId: m.messageId,
            text: m.text,
            attachments: m.attachments,
            sender: m.sender,
            channelMessageId: m.channelMessageId,
            ...(m.channelThreadId === undefined ? {} : { channelThreadId: m.channelThreadId }),
            sentAt: m.sentAt,
          }),
          position,
        ],
      );
      return;
    }
    case 'ChannelSwitched':
      await item(event.data.ticketId, 'ChannelSwitched', event.data.toChannel, {
        fromChannel: event.data.fromChannel,
        toChannel: event.data.toChannel,
        messageId: event.data.messageId,
      });
      return;
    case 'TicketFlaggedForReview':
      await tx.query(`UPDATE ${S}.tickets SET flagged_for_review = true WHERE ticket_id = $1`, [
        event.data.ticketId,
      ]);
      await item(event.data.ticketId, 'TicketFlaggedForReview', null, {
        reason: event.data.reason,
        otherTicketIds: event.data.otherTicketIds,
      });
      return;
    case 'TicketClosed':
      await tx.query(
        `UPDATE ${S}.tickets SET status = 'closed', resolution = $2, last_activity_at = GREATEST(last_activity_at, $3)
         WHERE ticket_id = $1`,
        [event.data.ticketId, event.data.resolution, at],
      );
      await item(event.data.ticketId, 'TicketClosed', null, {
        resolution: event.data.resolution,
        ...(event.data.note === undefined ? {} : { note: event.data.note }),
      });
      return;
    case 'TicketReopened':
      await tx.query(
        `UPDATE ${S}.tickets SET status = 'open', resolution = NULL, last_activity_at = GREATEST(last_activity_at, $2)
         WHERE ticket_id = $1`,
        [event.data.ticketId, at],
      );
      await item(event.data.ticketId, 'TicketReopened', null, {
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
        ...(event.data.messageId === undefined ? {} : { messageId: event.data.messageId }),
      });
      return;
    case 'TicketMerged':
      await item(event.data.ticketId, 'TicketMerged', null, {
        mergedTicketId: event.data.mergedTicketId,
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
      });
      return;
    case 'TicketMergedInto':
      await tx.query(`UPDATE ${S}.tickets SET merged_into = $2 WHERE ticket_id = $1`, [
        event.data.ticketId,
        event.data.survivorTicketId,
      ]);
      await item(event.data.ticketId, 'TicketMergedInto', null, {
        survivorTicketId: event.data.survivorTicketId,
      });
      return;
    case 'CsatRecorded':
      await item(event.data.ticketId, 'CsatRecorded', event.data.channel, {
        responseId: event.data.responseId,
        score: event.data.score,
        ...(event.data.comment === undefined ? {} : { comment: event.data.comment }),
        ...(event.data.owner === undefined ? {} : { owner: event.data.owner }),
        precedingHandoffIds: event.data.precedingHandoffIds,
      });
      return;
    default:
      return;
  }
}

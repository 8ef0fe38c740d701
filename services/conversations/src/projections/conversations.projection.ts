import { answeredInOneRoundTrip, type RecordedEvent } from '@handoff/event-store';
import type { PoolClient, QueryConfig } from 'pg';
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
  await run(ownEventStatements(recorded), tx);
}

/** The statements that write one event's rows ({@link projectOwnEvent}), in order. */
function ownEventStatements(recorded: RecordedEvent): QueryConfig[] {
  const event = { type: recorded.type, data: recorded.data } as OwnEvent;
  const out: QueryConfig[] = [];
  const query = (text: string, values: unknown[]) => out.push(sql(text, values));
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
    query(
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
      return out;
    case 'IdentityAdded':
      return identitiesStatement([recorded as Recorded<'IdentityAdded'>]);
    case 'CustomersMerged':
      query(
        `UPDATE ${S}.customer_identities SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2`,
        [tenantId, event.data.mergedCustomerId, event.data.customerId],
      );
      query(
        `UPDATE ${S}.tickets SET customer_id = $3
         WHERE tenant_id = $1 AND (customer_id = $2 OR ticket_id = ANY($4::text[]))`,
        [tenantId, event.data.mergedCustomerId, event.data.customerId, event.data.movedTicketIds],
      );
      return out;
    case 'CustomerMergeUndone':
      for (const identity of event.data.restoredIdentities) {
        query(
          `UPDATE ${S}.customer_identities SET customer_id = $4
           WHERE tenant_id = $1 AND kind = $2 AND value = $3`,
          [tenantId, identity.kind, identity.value, event.data.restoredCustomerId],
        );
      }
      query(`UPDATE ${S}.tickets SET customer_id = $2 WHERE tenant_id = $1 AND ticket_id = ANY($3::text[])`, [
        tenantId,
        event.data.restoredCustomerId,
        event.data.restoredTicketIds,
      ]);
      return out;
    case 'TicketOpened':
      return openedTicketsStatement([recorded as Recorded<'TicketOpened'>]);
    case 'MessageReceived':
      return messagesStatement([recorded as Recorded<'MessageReceived'>]);
    case 'ChannelSwitched':
      item(event.data.ticketId, 'ChannelSwitched', event.data.toChannel, {
        fromChannel: event.data.fromChannel,
        toChannel: event.data.toChannel,
        messageId: event.data.messageId,
      });
      return out;
    case 'TicketFlaggedForReview':
      query(`UPDATE ${S}.tickets SET flagged_for_review = true WHERE ticket_id = $1`, [event.data.ticketId]);
      item(event.data.ticketId, 'TicketFlaggedForReview', null, {
        reason: event.data.reason,
        otherTicketIds: event.data.otherTicketIds,
      });
      return out;
    case 'TicketClosed':
      query(
        `UPDATE ${S}.tickets SET status = 'closed', resolution = $2, last_activity_at = GREATEST(last_activity_at, $3)
         WHERE ticket_id = $1`,
        [event.data.ticketId, event.data.resolution, at],
      );
      item(event.data.ticketId, 'TicketClosed', null, {
        resolution: event.data.resolution,
        ...(event.data.note === undefined ? {} : { note: event.data.note }),
      });
      return out;
    case 'TicketReopened':
      query(
        `UPDATE ${S}.tickets SET status = 'open', resolution = NULL, last_activity_at = GREATEST(last_activity_at, $2)
         WHERE ticket_id = $1`,
        [event.data.ticketId, at],
      );
      item(event.data.ticketId, 'TicketReopened', null, {
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
        ...(event.data.messageId === undefined ? {} : { messageId: event.data.messageId }),
      });
      return out;
    case 'TicketMerged':
      item(event.data.ticketId, 'TicketMerged', null, {
        mergedTicketId: event.data.mergedTicketId,
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
      });
      return out;
    case 'TicketMergedInto':
      query(`UPDATE ${S}.tickets SET merged_into = $2 WHERE ticket_id = $1`, [
        event.data.ticketId,
        event.data.survivorTicketId,
      ]);
      item(event.data.ticketId, 'TicketMergedInto', null, {
        survivorTicketId: event.data.survivorTicketId,
      });
      return out;
    case 'CsatRecorded':
      item(event.data.ticketId, 'CsatRecorded', event.data.channel, {
        responseId: event.data.responseId,
        score: event.data.score,
        ...(event.data.comment === undefined ? {} : { comment: event.data.comment }),
        ...(event.data.owner === undefined ? {} : { owner: event.data.owner }),
        precedingHandoffIds: event.data.precedingHandoffIds,
      });
      return out;
    default:
      return out;
  }
}

/** The timeline payload of an opened ticket. */
function openedPayload(d: Extract<OwnEvent, { type: 'TicketOpened' }>['data']) {
  return { openedBy: d.openedBy, ...(d.subject === undefined ? {} : { subject: d.subject }) };
}

/** The timeline payload of a message. */
function messagePayload(m: Extract<OwnEvent, { type: 'MessageReceived' }>['data']) {
  return {
    messageId: m.messageId,
    text: m.text,
    attachments: m.attachments,
    sender: m.sender,
    channelMessageId: m.channelMessageId,
    ...(m.channelThreadId === undefined ? {} : { channelThreadId: m.channelThreadId }),
    sentAt: m.sentAt,
  };
}

/** The event types whose rows {@link projectOwnEvents} writes for many events with one statement. */
const BATCHABLE = new Set<string>(['CustomerCreated', 'IdentityAdded', 'TicketOpened', 'MessageReceived']);

/**
 * The ProjectionRunner's batch form of {@link projectOwnEvent}: the same rows, fewer round trips.
 * Runs of new customers, new tickets and messages (what ingestion appends) are written with one
 * statement per kind of row: the run's identities and opened tickets first, then its messages
 * (a message's ticket row must exist before the message updates it). Any other event ends the run
 * and is applied on its own, so the order between a run and the events around it is kept.
 */
export async function projectOwnEvents(events: readonly RecordedEvent[], tx: PoolClient): Promise<void> {
  await run(ownEventsStatements(events), tx);
}

/**
 * The statements of {@link projectOwnEvents}, in order: for a caller that sends them itself (with
 * the commit of the transaction they belong to, say). They depend on no answer of one another.
 */
export function ownEventsStatements(events: readonly RecordedEvent[]): QueryConfig[] {
  const out: QueryConfig[] = [];
  let batch: RecordedEvent[] = [];
  for (const event of events) {
    if (BATCHABLE.has(event.type)) {
      batch.push(event);
      continue;
    }
    out.push(...runStatements(batch));
    batch = [];
    out.push(...ownEventStatements(event));
  }
  out.push(...runStatements(batch));
  return out;
}

function runStatements(batch: readonly RecordedEvent[]): QueryConfig[] {
  const of = <T extends OwnEvent['type']>(type: T) => batch.filter((e) => e.type === type) as Recorded<T>[];
  return [
    ...identitiesStatement(of('IdentityAdded')),
    ...openedTicketsStatement(of('TicketOpened')),
    ...messagesStatement(of('MessageReceived')),
  ];
}

/** Statements sent in one round trip, run in order ({@link answeredInOneRoundTrip}). */
async function run(statements: readonly QueryConfig[], tx: PoolClient): Promise<void> {
  if (statements.length > 0) await answeredInOneRoundTrip(tx, statements);
}

/**
 * A statement of the read model's writes; with a `name`, prepared by name: parsed once per
 * connection, and planned once with the service's planner settings (`DB_PLANNER`). Only statements
 * whose text never changes are named.
 */
const sql = (text: string, values: unknown[], name?: string): QueryConfig => ({ name, text, values });

type Recorded<T extends OwnEvent['type']> = RecordedEvent & { data: Extract<OwnEvent, { type: T }>['data'] };

function identitiesStatement(events: Recorded<'IdentityAdded'>[]): QueryConfig[] {
  if (events.length === 0) return [];
  // One row per identity: the last event of the run wins, as applied one by one it would.
  const last = new Map<string, Recorded<'IdentityAdded'>>();
  for (const e of events)
    last.set(JSON.stringify([e.metadata.tenantId, e.data.identity.kind, e.data.identity.value]), e);
  const rows = [...last.values()];
  return [
    sql(
      `INSERT INTO ${S}.customer_identities (tenant_id, kind, value, customer_id, channel, verified, how)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])
     ON CONFLICT (tenant_id, kind, value)
     DO UPDATE SET customer_id = EXCLUDED.customer_id, verified = EXCLUDED.verified, how = EXCLUDED.how`,
      [
        rows.map((e) => e.metadata.tenantId),
        rows.map((e) => e.data.identity.kind),
        rows.map((e) => e.data.identity.value),
        rows.map((e) => e.data.customerId),
        rows.map((e) => e.data.identity.channel ?? null),
        rows.map((e) => e.data.identity.verified),
        rows.map((e) => e.data.how),
      ],
      'conversations_rows_identities',
    ),
  ];
}

function openedTicketsStatement(events: Recorded<'TicketOpened'>[]): QueryConfig[] {
  if (events.length === 0) return [];
  return [
    sql(
      `WITH o AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::bigint[])
         AS o(item_id, tenant_id, ticket_id, at, channel, actor_kind, actor_id, payload, customer_id, position)
     ), ticket AS (
       INSERT INTO ${S}.tickets (ticket_id, tenant_id, customer_id, status, channels, opened_at, last_activity_at)
       SELECT ticket_id, tenant_id, customer_id, 'open', ARRAY[channel], at, at FROM o
       ON CONFLICT (ticket_id) DO NOTHING
     )
     INSERT INTO ${S}.timeline_items
       (item_id, tenant_id, ticket_id, occurred_at, source, kind, channel, actor_kind, actor_id, sequence, payload, position)
     SELECT item_id, tenant_id, ticket_id, at, 'conversations', 'TicketOpened', channel, actor_kind, actor_id, NULL,
            payload::jsonb, position
       FROM o
     ON CONFLICT (item_id) DO NOTHING`,
      [
        events.map((e) => e.eventId),
        events.map((e) => e.metadata.tenantId),
        events.map((e) => e.data.ticketId),
        events.map((e) => e.metadata.occurredAt),
        events.map((e) => e.data.channel),
        events.map((e) => e.metadata.actor.kind),
        events.map((e) => e.metadata.actor.id),
        events.map((e) => JSON.stringify(openedPayload(e.data))),
        events.map((e) => e.data.customerId),
        events.map((e) => e.globalPosition.toString()),
      ],
      'conversations_rows_opened',
    ),
  ];
}

function messagesStatement(events: Recorded<'MessageReceived'>[]): QueryConfig[] {
  if (events.length === 0) return [];
  // Per ticket: its highest sequence, latest activity and the channels in the order first seen;
  // per thread: the ticket of the run's last message on it (a row is changed once per statement).
  const tickets = new Map<string, { sequence: number; at: string; channels: string[] }>();
  const threads = new Map<
    string,
    { tenantId: string; channel: string; threadId: string; ticketId: string; position: string }
  >();
  for (const e of events) {
    const m = e.data;
    const at = e.metadata.occurredAt;
    const ticket = tickets.get(m.ticketId);
    if (!ticket) tickets.set(m.ticketId, { sequence: m.sequence, at, channels: [m.channel] });
    else {
      ticket.sequence = Math.max(ticket.sequence, m.sequence);
      if (Date.parse(at) > Date.parse(ticket.at)) ticket.at = at;
      if (!ticket.channels.includes(m.channel)) ticket.channels.push(m.channel);
    }
    if (m.channelThreadId !== undefined)
      threads.set(JSON.stringify([e.metadata.tenantId, m.channel, m.channelThreadId]), {
        tenantId: e.metadata.tenantId,
        channel: m.channel,
        threadId: m.channelThreadId,
        ticketId: m.ticketId,
        position: e.globalPosition.toString(),
      });
  }
  // Each kind of row as one JSON text of positional rows: as `text[]` parameters, pg built an array
  // literal element by element for each of the 19 columns, most of the projection's allocations.
  return [
    sql(
      `WITH ticket AS (
       UPDATE ${S}.tickets t SET
         message_count = GREATEST(t.message_count, u.sequence),
         last_activity_at = GREATEST(t.last_activity_at, u.at),
         channels = t.channels || ARRAY(
           SELECT c FROM jsonb_array_elements_text(u.channels) WITH ORDINALITY AS x(c, n)
            WHERE NOT c = ANY(t.channels) ORDER BY n)
       FROM (SELECT r->>0 AS ticket_id, (r->>1)::int AS sequence, (r->>2)::timestamptz AS at, r->3 AS channels
               FROM jsonb_array_elements($1::jsonb) r) u
       WHERE t.ticket_id = u.ticket_id
     ), thread AS (
       INSERT INTO ${S}.ticket_threads (tenant_id, channel, thread_id, ticket_id, position)
       SELECT r->>0, r->>1, r->>2, r->>3, (r->>4)::bigint FROM jsonb_array_elements($2::jsonb) r
       ON CONFLICT (tenant_id, channel, thread_id)
       DO UPDATE SET ticket_id = EXCLUDED.ticket_id, position = EXCLUDED.position
         WHERE ticket_threads.ticket_id <> EXCLUDED.ticket_id AND ticket_threads.position < EXCLUDED.position
     )
     INSERT INTO ${S}.timeline_items
       (item_id, tenant_id, ticket_id, occurred_at, source, kind, channel, actor_kind, actor_id, sequence, payload, position)
     SELECT r->>0, r->>1, r->>2, (r->>3)::timestamptz, 'conversations', 'MessageReceived', r->>4,
            r->>5, r->>6, (r->>7)::int, r->8, (r->>9)::bigint
       FROM jsonb_array_elements($3::jsonb) r
     ON CONFLICT (item_id) DO NOTHING`,
      [
        JSON.stringify([...tickets].map(([id, t]) => [id, t.sequence, t.at, t.channels])),
        JSON.stringify(
          [...threads.values()].map((t) => [t.tenantId, t.channel, t.threadId, t.ticketId, t.position]),
        ),
        JSON.stringify(
          events.map((e) => [
            e.data.messageId,
            e.metadata.tenantId,
            e.data.ticketId,
            e.metadata.occurredAt,
            e.data.channel,
            e.data.sender.kind,
            e.data.sender.id,
            e.data.sequence,
            messagePayload(e.data),
            e.globalPosition.toString(),
          ]),
        ),
      ],
      'conversations_rows_messages',
    ),
  ];
}

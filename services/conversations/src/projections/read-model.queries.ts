import type { DataSource } from 'typeorm';
import type {
  ContinuityAnswer,
  ContinuityRequest,
  ReadModelQueries,
  ReadUnderLocks,
  ThreadRequest,
  TicketRow,
} from '../application/conversations.ports';
import { ConversationsError } from '../domain/conversations.errors';
import type { ChannelKind } from '../domain/identity';
import type { OwnerRef } from '../domain/ticket.decider';
import { READ_MODEL_SCHEMA as S } from './read-model.schema';

/**
 * The ticket holding request `r`'s thread (`r.tenant_id`, `r.channel`, `r.thread_id`), as is, for a
 * lateral join. One thread, one ticket (the key of ticket_threads); the LIMIT keeps it a lookup per
 * request: as a plain join, a plan made on young statistics scanned every ticket of the tenant.
 * The ticket is looked up by its id alone, in a subquery of its own (its LIMIT keeps PostgreSQL
 * from folding it into a join): with the tenant in the same join, a plan made on empty tables took
 * `tickets_open_by_customer` on the tenant and filtered every ticket of the tenant by id.
 */
const THREAD_TICKET = `SELECT t.* FROM ${S}.ticket_threads th
    CROSS JOIN LATERAL (SELECT * FROM ${S}.tickets t WHERE t.ticket_id = th.ticket_id LIMIT 1) t
   WHERE th.tenant_id = r.tenant_id AND th.channel = r.channel AND th.thread_id = r.thread_id
     AND t.tenant_id = th.tenant_id
   LIMIT 1`;

interface TicketRecord {
  ticket_id: string;
  tenant_id: string;
  customer_id: string;
  status: 'open' | 'closed';
  last_activity_at: Date;
  merged_into: string | null;
}

const toRow = (r: TicketRecord): TicketRow => ({
  ticketId: r.ticket_id,
  tenantId: r.tenant_id,
  customerId: r.customer_id,
  status: r.status,
  lastActivityAt: r.last_activity_at.toISOString(),
});

/** A thread's ticket as continuity reads it: as is, saying whether it was merged away. */
const threadTicketOf = (r: TicketRecord): NonNullable<ContinuityAnswer['thread']> => ({
  ...toRow(r),
  ...(r.merged_into ? { mergedInto: r.merged_into } : {}),
});

/** A ticket as `GET /v1/tickets/:id` shows it. */
export interface TicketView {
  ticketId: string;
  customerId: string;
  status: 'open' | 'closed';
  resolution: string | null;
  channels: string[];
  openedAt: string;
  lastActivityAt: string;
  messageCount: number;
  mergedInto: string | null;
  mergedTicketIds: string[];
  flaggedForReview: boolean;
}

/** One timeline item as the API returns it. */
export interface TimelineItemView {
  itemId: string;
  ticketId: string;
  occurredAt: string;
  source: string;
  kind: string;
  channel: string | null;
  actor: { kind: string; id: string };
  sequence: number | null;
  data: Record<string, unknown>;
}

export interface TicketPage {
  items: TimelineItemView[];
  nextCursor: string | null;
}

export class InvalidCursor extends ConversationsError {
  constructor() {
    super('invalid-cursor', 'invalid', 'cursor is not a cursor this API returned', 'cursor');
  }
}

const encodeCursor = (occurredAt: string, position: string, itemId: string) =>
  Buffer.from(JSON.stringify([occurredAt, position, itemId])).toString('base64url');

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      typeof value[2] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      /^[0-9]{1,19}$/.test(value[1])
    )
      return [value[0], value[1], value[2]];
  } catch {
    // fall through
  }
  throw new InvalidCursor();
}

/** Read-model queries over the TypeORM data source of schema `conversations`. */
export class ConversationsReadModel implements ReadModelQueries {
  constructor(private readonly db: DataSource) {}

  async ticketForReference(tenantId: string, ticketId: string): Promise<TicketRow | undefined> {
    const rows: TicketRecord[] = await this.db.query(
      `WITH RECURSIVE chain(ticket_id, hop) AS (
         SELECT $2::text, 0
         ${FOLLOW_MERGES}`,
      [tenantId, ticketId],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async ticketForThread(tenantId: string, channel: ChannelKind, threadId: string) {
    const rows: TicketRecord[] = await this.db.query(
      `WITH RECURSIVE chain(ticket_id, hop) AS (
         SELECT ticket_id, 0 FROM ${S}.ticket_threads WHERE tenant_id = $1 AND channel = $2 AND thread_id = $3
         ${FOLLOW_MERGES}`,
      [tenantId, channel, threadId],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async openTicketsOf(tenantId: string, customerId: string): Promise<TicketRow[]> {
    const rows: TicketRecord[] = await this.db.query(
      `SELECT * FROM ${S}.tickets
       WHERE tenant_id = $1 AND customer_id = $2 AND status = 'open' AND merged_into IS NULL
       ORDER BY last_activity_at DESC LIMIT 100`,
      [tenantId, customerId],
    );
    return rows.map(toRow);
  }

  async continuityOf(
    tenantId: string,
    customerId: string,
    thread?: { channel: ChannelKind; threadId: string },
  ): Promise<{ thread?: TicketRow; openTickets: TicketRow[] }> {
    const rows: (TicketRecord & { is_thread: boolean })[] = await this.db.query(
      `WITH RECURSIVE chain(ticket_id, hop) AS (
         SELECT ticket_id, 0 FROM ${S}.ticket_threads WHERE tenant_id = $1 AND channel = $3 AND thread_id = $4
         ${MERGE_CHAIN}
       (${survivor('true AS is_thread, t.*')})
       UNION ALL
       (SELECT false AS is_thread, t.* FROM ${S}.tickets t
         WHERE t.tenant_id = $1 AND t.customer_id = $2 AND t.status = 'open' AND t.merged_into IS NULL
         ORDER BY t.last_activity_at DESC LIMIT 100)`,
      [tenantId, customerId, thread?.channel ?? null, thread?.threadId ?? null],
    );
    const threadRow = rows.find((r) => r.is_thread);
    return {
      ...(threadRow ? { thread: toRow(threadRow) } : {}),
      openTickets: rows.filter((r) => !r.is_thread).map(toRow),
    };
  }

  continuityOfManyRead(requests: readonly ContinuityRequest[]): ReadUnderLocks<ContinuityAnswer[]> {
    // One round trip for every request: each customer's open tickets (most recent first) and the
    // ticket that holds each thread, as is (a merged thread ticket is reported, not followed).
    return {
      name: 'conversations_continuity_of_many',
      text: `WITH r AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           WITH ORDINALITY AS r(tenant_id, customer_id, channel, thread_id, ord)
       )
       SELECT r.ord, false AS is_thread, t.* FROM r
         CROSS JOIN LATERAL (
           SELECT * FROM ${S}.tickets t
            WHERE t.tenant_id = r.tenant_id AND t.customer_id = r.customer_id
              AND t.status = 'open' AND t.merged_into IS NULL
            ORDER BY t.last_activity_at DESC LIMIT 100) t
       UNION ALL
       SELECT r.ord, true AS is_thread, t.* FROM r
         CROSS JOIN LATERAL (${THREAD_TICKET}) t
       ORDER BY 1, 2, last_activity_at DESC`,
      values: [
        requests.map((q) => q.tenantId),
        requests.map((q) => q.customerId),
        requests.map((q) => q.thread?.channel ?? null),
        requests.map((q) => q.thread?.threadId ?? null),
      ],
      answer: (rows) => {
        const answers: ContinuityAnswer[] = requests.map(() => ({ openTickets: [] }));
        for (const row of rows as unknown as readonly (TicketRecord & {
          ord: string;
          is_thread: boolean;
        })[]) {
          const answer = answers[Number(row.ord) - 1];
          if (!answer) continue;
          if (row.is_thread) answer.thread = threadTicketOf(row);
          else answer.openTickets.push(toRow(row));
        }
        return answers;
      },
    };
  }

  async threadTicketsOfMany(
    requests: readonly ThreadRequest[],
  ): Promise<(ContinuityAnswer['thread'] | undefined)[]> {
    const answers: (ContinuityAnswer['thread'] | undefined)[] = requests.map(() => undefined);
    if (requests.length === 0) return answers;
    const rows: (TicketRecord & { ord: string })[] = await this.db.query(
      `SELECT r.ord, t.*
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(tenant_id, channel, thread_id, ord)
         CROSS JOIN LATERAL (${THREAD_TICKET}) t`,
      [requests.map((q) => q.tenantId), requests.map((q) => q.channel), requests.map((q) => q.threadId)],
    );
    for (const row of rows) answers[Number(row.ord) - 1] = threadTicketOf(row);
    return answers;
  }

  async ticketIdsOf(tenantId: string, customerId: string): Promise<string[]> {
    const rows: { ticket_id: string }[] = await this.db.query(
      `SELECT ticket_id FROM ${S}.tickets WHERE tenant_id = $1 AND customer_id = $2 ORDER BY opened_at`,
      [tenantId, customerId],
    );
    return rows.map((r) => r.ticket_id);
  }

  async currentOwner(tenantId: string, ticketId: string): Promise<OwnerRef | undefined> {
    const rows: { owner: OwnerRef | null }[] = await this.db.query(
      `SELECT owner FROM ${S}.ticket_owners WHERE tenant_id = $1 AND ticket_id = $2`,
      [tenantId, ticketId],
    );
    return rows[0]?.owner ?? undefined;
  }

  async handoffsBefore(tenantId: string, ticketId: string, at: string): Promise<string[]> {
    const rows: { handoff_id: string }[] = await this.db.query(
      `${TICKET_FAMILY}
       SELECT h.handoff_id FROM ${S}.ticket_handoffs h
       WHERE h.tenant_id = $1 AND h.ticket_id IN (SELECT ticket_id FROM family) AND h.requested_at <= $3
       ORDER BY h.requested_at, h.handoff_id LIMIT 1000`,
      [tenantId, ticketId, at],
    );
    return rows.map((r) => r.handoff_id);
  }

  async ticket(tenantId: string, ticketId: string): Promise<TicketView | undefined> {
    const rows: (TicketRecord & {
      channels: string[];
      opened_at: Date;
      message_count: number;
      flagged_for_review: boolean;
      resolution: string | null;
      merged: string[] | null;
    })[] = await this.db.query(
      `SELECT t.*, (SELECT array_agg(m.ticket_id ORDER BY m.opened_at) FROM ${S}.tickets m
                    WHERE m.tenant_id = t.tenant_id AND m.merged_into = t.ticket_id) AS merged
       FROM ${S}.tickets t WHERE t.tenant_id = $1 AND t.ticket_id = $2`,
      [tenantId, ticketId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      ticketId: r.ticket_id,
      customerId: r.customer_id,
      status: r.status,
      resolution: r.resolution,
      channels: r.channels,
      openedAt: r.opened_at.toISOString(),
      lastActivityAt: r.last_activity_at.toISOString(),
      messageCount: r.message_count,
      mergedInto: r.merged_into,
      mergedTicketIds: r.merged ?? [],
      flaggedForReview: r.flagged_for_review,
    };
  }

  /**
   * One page of a ticket's timeline (with the items of tickets merged into it), oldest first,
   * keyset-paginated on (occurred_at, position, item_id) so a page costs one index range scan at
   * any depth.
   */
  async timeline(tenantId: string, ticketId: string, limit: number, cursor?: string): Promise<TicketPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows: {
      item_id: string;
      ticket_id: string;
      occurred_at: Date;
      source: string;
      kind: string;
      channel: string | null;
      actor_kind: string;
      actor_id: string;
      sequence: number | null;
      payload: Record<string, unknown>;
      position: string;
    }[] = await this.db.query(
      `${TICKET_FAMILY}
       SELECT i.* FROM ${S}.timeline_items i
       WHERE i.tenant_id = $1 AND i.ticket_id IN (SELECT ticket_id FROM family)
         ${after ? 'AND (i.occurred_at, i.position, i.item_id) > ($4::timestamptz, $5::bigint, $6::text)' : ''}
       ORDER BY i.occurred_at, i.position, i.item_id
       LIMIT $3`,
      after ? [tenantId, ticketId, limit + 1, ...after] : [tenantId, ticketId, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        itemId: r.item_id,
        ticketId: r.ticket_id,
        occurredAt: r.occurred_at.toISOString(),
        source: r.source,
        kind: r.kind,
        channel: r.channel,
        actor: { kind: r.actor_kind, id: r.actor_id },
        sequence: r.sequence,
        data: r.payload,
      })),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor(last.occurred_at.toISOString(), String(last.position), last.item_id)
          : null,
    };
  }
}

/**
 * The rest of a `chain(ticket_id, hop)` CTE whose first row is a starting ticket: follows
 * `merged_into` of tenant $1 (at most 32 hops). {@link survivor} then picks the end of the chain.
 */
const MERGE_CHAIN = `UNION ALL
         SELECT t.merged_into, c.hop + 1 FROM chain c
           JOIN ${S}.tickets t ON t.tenant_id = $1 AND t.ticket_id = c.ticket_id
          WHERE t.merged_into IS NOT NULL AND c.hop < 32
       )`;

/**
 * The surviving ticket of a {@link MERGE_CHAIN} (`columns` of it); nothing when a ticket of the
 * chain is unknown.
 */
const survivor = (columns = 't.*') => `SELECT ${columns} FROM chain c
        JOIN ${S}.tickets t ON t.tenant_id = $1 AND t.ticket_id = c.ticket_id
        WHERE t.merged_into IS NULL LIMIT 1`;

/** A merge chain followed to its end in one round trip. */
const FOLLOW_MERGES = `${MERGE_CHAIN}
       ${survivor()}`;

/** The ticket ($2) and every ticket merged into it, directly or through a chain, of tenant $1. */
const TICKET_FAMILY = `WITH RECURSIVE family(ticket_id) AS (
    SELECT ticket_id FROM ${S}.tickets WHERE tenant_id = $1 AND ticket_id = $2
    UNION
    SELECT t.ticket_id FROM ${S}.tickets t JOIN family f ON t.merged_into = f.ticket_id WHERE t.tenant_id = $1
  )`;

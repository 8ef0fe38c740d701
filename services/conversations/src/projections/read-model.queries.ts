import type { DataSource } from 'typeorm';
import type { ReadModelQueries, TicketRow } from '../application/conversations.ports';
import { ConversationsError } from '../domain/conversations.errors';
import type { ChannelKind } from '../domain/identity';
import type { OwnerRef } from '../domain/ticket.decider';
import { READ_MODEL_SCHEMA as S } from './read-model.schema';

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
    let id = ticketId;
    for (let hop = 0; hop < 32; hop++) {
      const rows: TicketRecord[] = await this.db.query(
        `SELECT * FROM ${S}.tickets WHERE tenant_id = $1 AND ticket_id = $2`,
        [tenantId, id],
      );
      const row = rows[0];
      if (!row) return undefined;
      if (row.merged_into === null) return toRow(row);
      id = row.merged_into;
    }
    return undefined;
  }

  async ticketForThread(tenantId: string, channel: ChannelKind, threadId: string) {
    const rows: { ticket_id: string }[] = await this.db.query(
      `SELECT ticket_id FROM ${S}.ticket_threads WHERE tenant_id = $1 AND channel = $2 AND thread_id = $3`,
      [tenantId, channel, threadId],
    );
    return rows[0] ? this.ticketForReference(tenantId, rows[0].ticket_id) : undefined;
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

/** The ticket ($2) and every ticket merged into it, directly or through a chain, of tenant $1. */
const TICKET_FAMILY = `WITH RECURSIVE family(ticket_id) AS (
    SELECT ticket_id FROM ${S}.tickets WHERE tenant_id = $1 AND ticket_id = $2
    UNION
    SELECT t.ticket_id FROM ${S}.tickets t JOIN family f ON t.merged_into = f.ticket_id WHERE t.tenant_id = $1
  )`;

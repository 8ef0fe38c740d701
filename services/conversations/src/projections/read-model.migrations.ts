import type { MigrationInterface, QueryRunner } from 'typeorm';
import { READ_MODEL_SCHEMA as S } from './read-model.schema';

/** The read model of schema `conversations` (the data source's default schema). */
export class ConversationsReadModel1764460800000 implements MigrationInterface {
  name = 'ConversationsReadModel1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ${S}.customer_identities (
      tenant_id text NOT NULL, kind text NOT NULL, value text NOT NULL,
      customer_id text NOT NULL, channel text, verified boolean NOT NULL, how text NOT NULL,
      PRIMARY KEY (tenant_id, kind, value))`);
    await q.query(
      `CREATE INDEX customer_identities_by_customer ON ${S}.customer_identities (tenant_id, customer_id)`,
    );
    await q.query(`CREATE TABLE ${S}.tickets (
      ticket_id text PRIMARY KEY, tenant_id text NOT NULL, customer_id text NOT NULL,
      status text NOT NULL, channels text[] NOT NULL, opened_at timestamptz NOT NULL,
      last_activity_at timestamptz NOT NULL, message_count integer NOT NULL DEFAULT 0,
      merged_into text, flagged_for_review boolean NOT NULL DEFAULT false, resolution text)`);
    await q.query(
      `CREATE INDEX tickets_open_by_customer ON ${S}.tickets (tenant_id, customer_id, status, last_activity_at)`,
    );
    await q.query(
      `CREATE INDEX tickets_merged_into ON ${S}.tickets (merged_into) WHERE merged_into IS NOT NULL`,
    );
    await q.query(`CREATE TABLE ${S}.ticket_threads (
      tenant_id text NOT NULL, channel text NOT NULL, thread_id text NOT NULL, ticket_id text NOT NULL,
      PRIMARY KEY (tenant_id, channel, thread_id))`);
    await q.query(`CREATE TABLE ${S}.timeline_items (
      item_id text PRIMARY KEY, tenant_id text NOT NULL, ticket_id text NOT NULL,
      occurred_at timestamptz NOT NULL, source text NOT NULL, kind text NOT NULL, channel text,
      actor_kind text NOT NULL, actor_id text NOT NULL, sequence integer, payload jsonb NOT NULL,
      position bigint NOT NULL DEFAULT 0)`);
    await q.query(
      `CREATE INDEX timeline_items_page ON ${S}.timeline_items (tenant_id, ticket_id, occurred_at, position, item_id)`,
    );
    await q.query(`CREATE TABLE ${S}.ticket_owners (
      ticket_id text PRIMARY KEY, tenant_id text NOT NULL, owner jsonb, changed_at timestamptz NOT NULL)`);
    await q.query(`CREATE TABLE ${S}.ticket_handoffs (
      ticket_id text NOT NULL, handoff_id text NOT NULL, tenant_id text NOT NULL,
      requested_at timestamptz NOT NULL, PRIMARY KEY (ticket_id, handoff_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'ticket_handoffs',
      'ticket_owners',
      'timeline_items',
      'ticket_threads',
      'tickets',
      'customer_identities',
    ])
      await q.query(`DROP TABLE IF EXISTS ${S}.${table}`);
  }
}

/**
 * `ticket_threads.position`: the global position of the message that last moved the thread, so that
 * applying an older message again (the projection replaying events whose rows the ingestion already
 * wrote in their append's transaction) cannot move the thread back to an earlier ticket.
 */
export class ConversationsThreadPositions1764979200000 implements MigrationInterface {
  name = 'ConversationsThreadPositions1764979200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${S}.ticket_threads ADD COLUMN position bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${S}.ticket_threads DROP COLUMN position`);
  }
}

/**
 * Tickets updated in place: every message rewrites its ticket's row (count, last activity,
 * channels). With `last_activity_at` in `tickets_open_by_customer` no such update could stay on
 * its page as a HOT update, so each added an entry to every index of the table; the index now
 * holds what continuity looks tickets up by (a customer's few open tickets are ordered in memory),
 * and pages written from now on keep room for the new versions. No table rewrite.
 */
export class ConversationsTicketsUpdatedInPlace1796083200000 implements MigrationInterface {
  name = 'ConversationsTicketsUpdatedInPlace1796083200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${S}.tickets SET (fillfactor = 80)`);
    await q.query(`DROP INDEX ${S}.tickets_open_by_customer`);
    await q.query(`CREATE INDEX tickets_open_by_customer ON ${S}.tickets (tenant_id, customer_id, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ${S}.tickets_open_by_customer`);
    await q.query(
      `CREATE INDEX tickets_open_by_customer ON ${S}.tickets (tenant_id, customer_id, status, last_activity_at)`,
    );
    await q.query(`ALTER TABLE ${S}.tickets RESET (fillfactor)`);
  }
}

export const READ_MODEL_MIGRATIONS = [
  ConversationsReadModel1764460800000,
  ConversationsThreadPositions1764979200000,
  ConversationsTicketsUpdatedInPlace1796083200000,
];

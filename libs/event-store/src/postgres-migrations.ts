import type { PoolClient } from 'pg';

/** One schema change of the PostgreSQL event store; `sql` receives the quoted schema name. */
interface Migration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

/** Names the append path relies on to recognise a duplicate event id. */
export const EVENT_ID_CONSTRAINT = 'events_event_id_unique';
/**
 * The primary key of `streams` (PostgreSQL's default name) and the unique revision of `events`: a
 * multi-stream append recognises by either a stream another writer created after it read the heads.
 */
export const STREAM_NAME_CONSTRAINT = 'streams_pkey';
export const STREAM_REVISION_CONSTRAINT = 'events_stream_revision_unique';

/** Applied in order, each once; never edit one that has shipped, add the next version instead. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'streams and events',
    sql: (s) => `
      CREATE TABLE ${s}.streams (
        name        text PRIMARY KEY,
        category    text NOT NULL,
        -- Revision of the last event, -1 while the stream has none.
        revision    bigint NOT NULL,
        last_hash   text NOT NULL,
        deleted     boolean NOT NULL DEFAULT false,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX streams_category ON ${s}.streams (category);
      CREATE TABLE ${s}.events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_name     text NOT NULL,
        revision        bigint NOT NULL,
        event_id        uuid NOT NULL,
        type            text NOT NULL,
        schema_version  integer NOT NULL,
        data            jsonb NOT NULL,
        metadata        jsonb NOT NULL,
        prev_hash       text NOT NULL,
        hash            text NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        -- Global reads return only rows below the oldest in-flight transaction (see the adapter).
        transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT ${EVENT_ID_CONSTRAINT} UNIQUE (event_id),
        CONSTRAINT events_stream_revision_unique UNIQUE (stream_name, revision)
      );
      CREATE INDEX events_transaction_order ON ${s}.events (transaction_id, global_position);
    `,
  },
  {
    version: 2,
    name: 'event data and metadata as json text',
    // The canonical JSON an append hashes is stored as it is: PostgreSQL checks it and keeps the
    // text, where jsonb built a binary document on every insert and a text again on every read.
    // Nothing of the store queries inside documents (`data::jsonb` still does, at a console).
    // Rewrites the table once, under an exclusive lock for as long as that takes.
    sql: (s) => `
      ALTER TABLE ${s}.events
        ALTER COLUMN data TYPE json USING data::json,
        ALTER COLUMN metadata TYPE json USING metadata::json;
    `,
  },
  {
    version: 3,
    name: 'stream heads updated in place',
    // Every append rewrites its streams' heads (revision, hash, time), none of them indexed: with
    // room left on each page PostgreSQL writes the new version beside the old one (a HOT update)
    // instead of adding entries to every index of the table, and prunes the old one later. Applies
    // to pages written from now on; no rewrite. `streams_category` was read by no query, yet cost
    // every new stream (one per ingested message, for its idempotency) an index entry.
    sql: (s) => `
      ALTER TABLE ${s}.streams SET (fillfactor = 80);
      DROP INDEX IF EXISTS ${s}.streams_category;
    `,
  },
];

/**
 * Brings the schema to the latest version. Idempotent, and safe when several processes start at
 * once: a transaction-scoped advisory lock serialises them and each migration is recorded in the
 * same transaction that applies it.
 */
export async function migrate(client: PoolClient, schema: string): Promise<void> {
  const quoted = `"${schema}"`;
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`handoff-event-store:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
        version     integer PRIMARY KEY,
        name        text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${quoted}.schema_migrations`,
    );
    const applied = new Set(rows.map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql(quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

import { type Pool, type PoolClient } from 'pg';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws unless `schema` is a plain lower-case PostgreSQL identifier (it is interpolated into SQL). */
export function assertSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema))
    throw new RangeError(`invalid PostgreSQL schema name for the consumer: "${schema}"`);
}

/**
 * Creates `<schema>.processed_messages` if absent. Instances starting together serialize on an
 * advisory lock, because concurrent `CREATE TABLE IF NOT EXISTS` can still collide in pg_type.
 */
export async function ensureProcessedMessagesTable(pool: Pool, schema: string): Promise<void> {
  assertSchemaName(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('handoff.processed_messages'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.processed_messages (
         consumer_group text NOT NULL,
         message_id text NOT NULL,
         topic text NOT NULL,
         partition integer NOT NULL,
         "offset" bigint NOT NULL,
         processed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (consumer_group, message_id)
       )`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Where a message was read from, stored beside its id. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A message id and where it was read from. */
export interface ProcessedMessage extends MessagePosition {
  messageId: string;
}

function assertPosition(at: MessagePosition): void {
  if (!/^[0-9]+$/.test(at.offset) || !Number.isInteger(at.partition))
    throw new RangeError('invalid position');
}

/**
 * Opens the transaction and records `messageId` as processed by `group` (the per-message path: with
 * the handler's own statement and COMMIT, four round trips per message). False when the id was
 * already recorded: a concurrent holder of the same id makes this wait for its commit.
 */
export async function beginAndMarkProcessed(
  tx: PoolClient,
  schema: string,
  group: string,
  messageId: string,
  at: MessagePosition,
): Promise<boolean> {
  assertPosition(at);
  await tx.query('BEGIN');
  const result = await tx.query(
    `INSERT INTO ${schema}.processed_messages (consumer_group, message_id, topic, partition, "offset")
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [group, messageId, at.topic, at.partition, at.offset],
  );
  return result.rowCount === 1;
}

/** Which of `messageIds` `group` has already recorded as processed (one round trip). */
export async function findProcessed(
  client: PoolClient,
  schema: string,
  group: string,
  messageIds: readonly string[],
): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const { rows } = await client.query<{ message_id: string }>(
    `SELECT message_id FROM ${schema}.processed_messages WHERE consumer_group = $1 AND message_id = ANY($2::text[])`,
    [group, messageIds],
  );
  return new Set(rows.map((row) => row.message_id));
}

/**
 * Records `messages` as processed by `group` inside the open transaction `tx`, in one statement.
 * Returns how many rows were inserted: fewer than `messages.length` means another transaction
 * recorded some of them since they were looked up (it waited for that one's commit), so the caller
 * must roll back rather than apply them a second time. The ids must be distinct.
 */
export async function markProcessed(
  tx: PoolClient,
  schema: string,
  group: string,
  messages: readonly ProcessedMessage[],
): Promise<number> {
  if (messages.length === 0) return 0;
  messages.forEach(assertPosition);
  const result = await tx.query(
    `INSERT INTO ${schema}.processed_messages (consumer_group, message_id, topic, partition, "offset")
     SELECT $1, m.id, m.topic, m.partition, m.off
       FROM unnest($2::text[], $3::text[], $4::integer[], $5::bigint[]) AS m (id, topic, partition, off)
     ON CONFLICT DO NOTHING`,
    [
      group,
      messages.map((m) => m.messageId),
      messages.map((m) => m.topic),
      messages.map((m) => m.partition),
      messages.map((m) => m.offset),
    ],
  );
  return result.rowCount ?? 0;
}

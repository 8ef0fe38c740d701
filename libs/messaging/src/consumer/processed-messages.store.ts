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

/**
 * Opens the transaction and records `messageId` as processed by `group` in one round trip (a simple-protocol batch, values
 * escaped by the driver): per message the runtime then costs three round trips, not four. False when
 * the id was already recorded: a concurrent holder of the same id makes this wait for its commit.
 */
export async function beginAndMarkProcessed(
  tx: PoolClient,
  schema: string,
  group: string,
  messageId: string,
  at: MessagePosition,
): Promise<boolean> {
  if (!/^[0-9]+$/.test(at.offset) || !Number.isInteger(at.partition))
    throw new RangeError('invalid position');
  const results = (await tx.query(
    `BEGIN; INSERT INTO ${schema}.processed_messages (consumer_group, message_id, topic, partition, "offset")
     VALUES (${tx.escapeLiteral(group)}, ${tx.escapeLiteral(messageId)}, ${tx.escapeLiteral(at.topic)}, ${at.partition}, ${at.offset})
     ON CONFLICT DO NOTHING`,
  )) as unknown as { rowCount: number | null }[];
  return results[1]?.rowCount === 1;
}

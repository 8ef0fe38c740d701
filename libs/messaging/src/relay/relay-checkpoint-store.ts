import { Pool } from 'pg';

/** Where a relay keeps the global position of the last event whose public events Kafka acknowledged. */
export interface RelayCheckpointStore {
  /** The saved position, or `undefined` when the relay never saved one (start from the beginning). */
  load(relayName: string): Promise<bigint | undefined>;
  save(relayName: string, position: bigint): Promise<void>;
}

/** Options of {@link PostgresRelayCheckpointStore}. */
export interface PostgresRelayCheckpointStoreOptions {
  /** A pool the caller owns (not closed by {@link PostgresRelayCheckpointStore.close}) or a URL. */
  connection: Pool | string;
  /** Schema of the `relay_checkpoints` table, usually the service's own; default `public`. */
  schema?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Relay checkpoints in PostgreSQL: `<schema>.relay_checkpoints(relay_name, position, updated_at)`,
 * one row per relay. Call {@link init} once at start-up; it is idempotent and safe to run from
 * several processes at once.
 */
export class PostgresRelayCheckpointStore implements RelayCheckpointStore {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly table: string;
  private readonly schema: string;

  constructor(options: PostgresRelayCheckpointStoreOptions) {
    this.schema = options.schema ?? 'public';
    if (!IDENTIFIER.test(this.schema)) {
      throw new RangeError(`relay checkpoint schema "${this.schema}" must match ${IDENTIFIER.source}`);
    }
    this.table = `"${this.schema}".relay_checkpoints`;
    this.ownsPool = typeof options.connection === 'string';
    this.pool =
      typeof options.connection === 'string'
        ? new Pool({ connectionString: options.connection, max: 2 })
        : options.connection;
  }

  /** Creates the schema and table when missing. */
  async init(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // CREATE ... IF NOT EXISTS still races on the catalog when two processes start together;
      // a transaction-scoped advisory lock serialises them.
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`relay_checkpoints:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           relay_name text PRIMARY KEY,
           position bigint NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
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

  async load(relayName: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ position: string }>(
      `SELECT position::text AS position FROM ${this.table} WHERE relay_name = $1`,
      [relayName],
    );
    const row = rows[0];
    return row ? BigInt(row.position) : undefined;
  }

  async save(relayName: string, position: bigint): Promise<void> {
    // Not GREATEST(old, new): the store's delivery order may differ from position order between
    // overlapping transactions, and the subscription resumes after exactly the position delivered.
    await this.pool.query(
      `INSERT INTO ${this.table} (relay_name, position, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (relay_name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [relayName, position.toString()],
    );
  }

  /** Ends the pool when this store created it from a URL. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

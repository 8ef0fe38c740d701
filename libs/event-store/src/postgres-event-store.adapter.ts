import { DatabaseError, Pool, type PoolClient } from 'pg';
import {
  assertExpectedRevision,
  chainEvents,
  DEFAULT_MAX_EVENT_BYTES,
  idempotentResult,
  prepareAppend,
  type AppendRequest,
  type ExistingEvent,
} from './append-preparation';
import { ChangeSignal, startCatchUpSubscription } from './catch-up-subscription';
import { EventStoreError, InvalidAppend, StoreFailure, StreamDeleted, StreamNotFound } from './errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionOptions,
  VerifyResult,
} from './event-store.port';
import { ChainVerifier } from './hash-chain';
import { GENESIS_HASH } from './hash-chain';
import { EVENT_ID_CONSTRAINT, migrate } from './postgres-migrations';
import { normaliseAllRead, normaliseStreamRead, normaliseSubscription } from './read-options';
import { assertCategory, assertStreamName } from './stream-name';
import type { UpcasterRegistry } from './upcasters';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
const SUBSCRIPTION_BATCH = 1_000;
const VERIFY_BATCH = 1_000;
const MAX_BIGINT = '9223372036854775807';
/**
 * The columns of a read. `recorded_at` comes as epoch milliseconds: node-pg's timestamptz parser
 * is one of the costliest steps of a global read, `new Date(ms)` is not.
 */
const EVENT_COLUMNS =
  'global_position, stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash, ' +
  '(extract(epoch from recorded_at) * 1000)::float8 AS recorded_at_ms';
const EVENT_COLUMN_NAMES =
  'global_position, stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash, recorded_at_ms';

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** A pool the caller owns (not ended by `close()`), or a connection URL for a pool the store owns. */
  connection: Pool | string;
  /** Schema holding the store's tables; default `event_store`. */
  schema?: string;
  /** Limit of one event's serialised data + metadata, in bytes; default 1 MiB. */
  maxEventBytes?: number;
  /** How often idle subscriptions poll when no notification arrives; default 1000 ms. */
  pollIntervalMs?: number;
  upcasters?: UpcasterRegistry;
}

/** The position in the global order: transaction id first, then global position. */
/** How often an append re-reads a head that moved under it before giving up. */
const MAX_HEAD_RETRIES = 20;
const HEAD_CACHE_SIZE = 10_000;

interface StreamHead {
  revision: bigint;
  hash: string;
  deleted: boolean;
}

type AppendOutcome =
  | { kind: 'appended'; result: AppendResult; head: StreamHead }
  | { kind: 'done'; result: AppendResult }
  | { kind: 'moved' };

interface Cursor {
  xid: string;
  position: string;
}

interface EventRow {
  global_position: string;
  stream_name: string;
  revision: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  prev_hash: string;
  hash: string;
  recorded_at_ms: number;
}

/**
 * The event store on PostgreSQL (`pg`).
 *
 * Appends lock the stream's row, check the expected revision, chain the hashes and insert the batch
 * in one transaction. Global reads are gap-free as in Emmett: every event row records the id of the
 * transaction that wrote it, and readers return only rows of transactions older than the oldest one
 * still in flight (`pg_snapshot_xmin`), ordered by (transaction id, global position). A transaction
 * that commits late therefore becomes visible at the end of the order, never behind a checkpoint.
 * The cost: a long-running transaction anywhere in the cluster holds back global reads until it ends.
 *
 * Live subscriptions wake up on LISTEN/NOTIFY and also poll, so a lost notification only delays them.
 * Call {@link PostgresEventStore.init} once before use.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly schema: string;
  private readonly channel: string;
  private readonly maxEventBytes: number;
  private readonly pollIntervalMs: number;
  private readonly upcasters: UpcasterRegistry | undefined;
  private readonly signal = new ChangeSignal();
  private readonly subscriptions = new Set<Subscription>();
  private listener: Promise<PoolClient> | undefined;
  private closed = false;
  /** Last head this store wrote per stream: a single writer then appends in one round trip. */
  private readonly heads = new Map<string, StreamHead>();
  private notifying = false;
  private notifyAgain = false;

  constructor(options: PostgresEventStoreOptions) {
    const schema = options.schema ?? 'event_store';
    if (!SCHEMA_NAME.test(schema)) {
      throw new RangeError(`schema must match ${String(SCHEMA_NAME)}, got ${JSON.stringify(schema)}`);
    }
    this.schema = `"${schema}"`;
    this.channel = `${schema}_events`;
    if (typeof options.connection === 'string') {
      this.pool = new Pool({ connectionString: options.connection });
      // An idle client losing its connection must not crash the process; the next query reports it.
      this.pool.on('error', () => undefined);
      this.ownsPool = true;
    } else {
      this.pool = options.connection;
      this.ownsPool = false;
    }
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.upcasters = options.upcasters;
  }

  /** Creates or migrates the schema (idempotent; concurrent callers are serialised). */
  async init(): Promise<void> {
    const client = await this.connect();
    try {
      await migrate(client, this.schema.slice(1, -1));
    } catch (error) {
      throw translate(error);
    } finally {
      client.release();
    }
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const request = this.prepare(stream, events, options);
    let head = this.heads.get(request.stream) ?? (await this.readHead(this.pool, request.stream));
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.tryAppend(this.pool, request, head);
      if (outcome.kind === 'appended') {
        this.rememberHead(request.stream, outcome.head);
        this.announce();
        return outcome.result;
      }
      if (outcome.kind === 'done') return outcome.result;
      // The head moved (another writer, or a stale cached head): decide again on the fresh one.
      this.heads.delete(request.stream);
      if (attempt >= MAX_HEAD_RETRIES) {
        throw new StoreFailure(
          `stream "${request.stream}" kept moving during ${MAX_HEAD_RETRIES} append attempts`,
        );
      }
      head = await this.readHead(this.pool, request.stream);
    }
  }

  /**
   * Appends inside a transaction the caller opened on `client` (BEGIN ... COMMIT are the caller's),
   * e.g. to commit the events together with other rows. The events become visible to global reads
   * when that transaction commits. On error the caller must roll back.
   */
  async appendWithinTransaction(
    client: PoolClient,
    stream: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const request = this.prepare(stream, events, options);
    // The caller may still roll back: its head is neither taken from nor left in the cache.
    this.heads.delete(request.stream);
    for (let attempt = 0; ; attempt += 1) {
      const head = await this.readHead(client, request.stream);
      const outcome = await this.tryAppend(client, request, head);
      if (outcome.kind !== 'moved') {
        if (outcome.kind === 'appended') this.announce();
        return outcome.result;
      }
      if (attempt >= MAX_HEAD_RETRIES) {
        throw new StoreFailure(
          `stream "${request.stream}" kept moving during ${MAX_HEAD_RETRIES} append attempts`,
        );
      }
    }
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const read = normaliseStreamRead(options);
    const from = read.fromRevision?.toString() ?? (read.forwards ? '0' : MAX_BIGINT);
    const { rows } = await this.query<{ deleted: boolean } & Partial<EventRow>>(
      `SELECT s.deleted, e.*
         FROM ${this.schema}.streams s
         LEFT JOIN LATERAL (
           SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events ev
            WHERE ev.stream_name = s.name AND ev.revision ${read.forwards ? '>=' : '<='} $2
            ORDER BY ev.revision ${read.forwards ? 'ASC' : 'DESC'}
            LIMIT $3
         ) e ON true
        WHERE s.name = $1`,
      [stream, from, read.maxCount],
    );
    const first = rows[0];
    if (!first) throw new StreamNotFound(stream);
    if (first.deleted) throw new StreamDeleted(stream);
    return rows
      .filter((row): row is EventRow & { deleted: boolean } => row.global_position !== null)
      .map(this.toRecorded);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { fromPosition, maxCount } = normaliseAllRead(options);
    const cursor = await this.cursorAt(fromPosition);
    return (await this.fetchAfter(cursor, maxCount, undefined)).events;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const { fromPosition, streamPrefixes } = normaliseSubscription(options);
    const subscription = startCatchUpSubscription<Cursor>(
      {
        start: async () => {
          await this.ensureListener();
          return this.cursorAt(fromPosition);
        },
        fetch: async (cursor) => {
          const batch = await this.fetchAfter(cursor, SUBSCRIPTION_BATCH, streamPrefixes);
          if (!batch.caughtUp) return batch;
          if (!this.listener) void this.ensureListener().catch(() => undefined);
          // Events committed behind a transaction still running elsewhere are held back until it
          // ends, and their NOTIFY has already been spent: say so, so the loop polls again soon
          // instead of waiting for the next append or the poll interval.
          return { ...batch, heldBack: await this.hasHeldBackEvents(batch.cursor) };
        },
        signal: this.signal,
        pollIntervalMs: this.pollIntervalMs,
      },
      options,
    );
    this.subscriptions.add(subscription);
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  subscribeToCategory(category: string, options: SubscriptionOptions): Subscription {
    assertCategory(category);
    return this.subscribeToAll({ ...options, filter: { streamPrefixes: [`${category}-`] } });
  }

  async deleteStream(stream: string): Promise<void> {
    assertStreamName(stream);
    const { rows } = await this.query<{ deleted: boolean }>(
      `WITH before AS (SELECT deleted FROM ${this.schema}.streams WHERE name = $1 FOR UPDATE),
            soft AS (UPDATE ${this.schema}.streams SET deleted = true, updated_at = now() WHERE name = $1 AND NOT deleted)
       SELECT deleted FROM before`,
      [stream],
    );
    const row = rows[0];
    if (!row) throw new StreamNotFound(stream);
    if (row.deleted) throw new StreamDeleted(stream);
  }

  async verifyStream(stream: string): Promise<VerifyResult> {
    assertStreamName(stream);
    const client = await this.connect();
    try {
      // One snapshot for the head and the events, so a concurrent append cannot look like tampering.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows: heads } = await client.query<{ revision: string; last_hash: string; deleted: boolean }>(
        `SELECT revision, last_hash, deleted FROM ${this.schema}.streams WHERE name = $1`,
        [stream],
      );
      const head = heads[0];
      if (!head) throw new StreamNotFound(stream);
      if (head.deleted) throw new StreamDeleted(stream);
      const verifier = new ChainVerifier(stream);
      let after = '-1';
      for (;;) {
        const { rows } = await client.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
            WHERE stream_name = $1 AND revision > $2 ORDER BY revision LIMIT $3`,
          [stream, after, VERIFY_BATCH],
        );
        // Verify the stored payload: no upcasting here.
        const intact = rows.every((row) => verifier.next(storedEvent(row)));
        const last = rows[rows.length - 1];
        if (!intact || !last || rows.length < VERIFY_BATCH) break;
        after = last.revision;
      }
      await client.query('COMMIT');
      return verifier.finish({ revision: BigInt(head.revision), lastHash: head.last_hash });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw translate(error);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      await listener.then(
        (client) => client.release(true),
        () => undefined,
      );
    }
    if (this.ownsPool) await this.pool.end();
  }

  private prepare(stream: string, events: readonly NewEvent[], options: AppendOptions): AppendRequest {
    return prepareAppend(stream, events, options, {
      maxEventBytes: this.maxEventBytes,
      upcasters: this.upcasters,
    });
  }

  /** The stream's head as stored now (revision -1 and the genesis hash when it has no events). */
  private async readHead(db: Pool | PoolClient, stream: string): Promise<StreamHead> {
    try {
      const { rows } = await db.query<{ revision: string; last_hash: string; deleted: boolean }>({
        name: `${this.channel}_head`,
        text: `SELECT revision, last_hash, deleted FROM ${this.schema}.streams WHERE name = $1`,
        values: [stream],
      });
      const row = rows[0];
      return row
        ? { revision: BigInt(row.revision), hash: row.last_hash, deleted: row.deleted }
        : { revision: -1n, hash: GENESIS_HASH, deleted: false };
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * One attempt at appending on top of `head`, in ONE statement: the stream row moves from `head`
   * to the batch's last event only if it still is at `head` (a concurrent writer makes the
   * conditional upsert match nothing, and then no event is inserted either), so an append costs a
   * single round trip and holds the stream's row lock only for that statement.
   */
  private async tryAppend(
    db: Pool | PoolClient,
    request: AppendRequest,
    head: StreamHead,
  ): Promise<AppendOutcome> {
    if (head.deleted) throw new StreamDeleted(request.stream);
    try {
      assertExpectedRevision(request, head.revision);
    } catch (conflict) {
      const retried = idempotentResult(request, await this.existingEvents(request, db));
      if (retried) return { kind: 'done', result: retried };
      if (this.heads.get(request.stream) === head) return { kind: 'moved' };
      throw conflict;
    }
    const chained = chainEvents(request, head.revision, head.hash);
    const last = chained[chained.length - 1];
    if (!last) throw new InvalidAppend(request.stream, 'empty-batch', 'an append needs at least one event');
    let rows: { position: string | null }[];
    try {
      const single = chained.length === 1;
      // A single event, the most common append, skips the array round trip of unnest().
      const source = single
        ? `(SELECT $2::bigint AS revision, $3::uuid AS event_id, $4::text AS type, $5::int AS schema_version,
                   $6::text AS data, $7::text AS metadata, $8::text AS prev_hash, $9::text AS hash, 1 AS ord) b`
        : `unnest($2::bigint[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
             WITH ORDINALITY AS b(revision, event_id, type, schema_version, data, metadata, prev_hash, hash, ord)`;
      const column = <T>(pick: (event: (typeof chained)[number]) => T): T | T[] =>
        single ? pick(last) : chained.map(pick);
      ({ rows } = await db.query<{ position: string | null }>({
        // Named: each connection parses and plans the statement once, not on every append.
        name: `${this.channel}_append_${single ? 'one' : 'many'}`,
        text: `WITH head AS (
           INSERT INTO ${this.schema}.streams AS s (name, category, revision, last_hash)
           VALUES ($1, $12, $10, $11)
           ON CONFLICT (name) DO UPDATE SET revision = EXCLUDED.revision, last_hash = EXCLUDED.last_hash, updated_at = now()
            WHERE s.revision = $13 AND s.last_hash = $14 AND NOT s.deleted
           RETURNING 1
         ), ins AS (
           INSERT INTO ${this.schema}.events
             (stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash)
           SELECT $1, b.revision, b.event_id, b.type, b.schema_version, b.data::jsonb, b.metadata::jsonb, b.prev_hash, b.hash
             FROM ${source}
            WHERE EXISTS (SELECT 1 FROM head)
            ORDER BY b.ord
           RETURNING global_position
         )
         SELECT max(global_position)::text AS position FROM ins`,
        values: [
          request.stream,
          column((event) => event.revision.toString()),
          column((event) => event.eventId),
          column((event) => event.type),
          column((event) => event.schemaVersion),
          column((event) => event.dataJson),
          column((event) => event.metadataJson),
          column((event) => event.prevHash),
          column((event) => event.hash),
          last.revision.toString(),
          last.hash,
          request.category,
          head.revision.toString(),
          head.hash,
        ],
      }));
    } catch (error) {
      if (isUniqueViolation(error, EVENT_ID_CONSTRAINT)) {
        // Outside a caller's transaction the failed statement changed nothing: check for a retry.
        const retried =
          db instanceof Pool ? idempotentResult(request, await this.existingEvents(request, db)) : undefined;
        if (retried) return { kind: 'done', result: retried };
        throw duplicateId(request);
      }
      throw translate(error);
    }
    const position = rows[0]?.position;
    if (position === null || position === undefined) return { kind: 'moved' };
    return {
      kind: 'appended',
      result: { nextExpectedRevision: last.revision, position: BigInt(position) },
      head: { revision: last.revision, hash: last.hash, deleted: false },
    };
  }

  private rememberHead(stream: string, head: StreamHead): void {
    this.heads.delete(stream);
    this.heads.set(stream, head);
    if (this.heads.size > HEAD_CACHE_SIZE) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }

  /**
   * Wakes subscriptions after a commit: this store's at once, other processes' through one NOTIFY
   * per burst of appends. The NOTIFY is its own statement, never part of an append: PostgreSQL
   * serialises the commits of all transactions that notify, which would cap append throughput.
   */
  private announce(): void {
    this.signal.notify();
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void this.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, ''])
      .catch(() => undefined) // a lost wake-up only delays other processes until their next poll
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain && !this.closed) {
          this.notifyAgain = false;
          this.announce();
        }
      });
  }

  private async existingEvents(request: AppendRequest, db: Pool | PoolClient): Promise<ExistingEvent[]> {
    const { rows } = await db.query<{
      event_id: string;
      stream_name: string;
      revision: string;
      global_position: string;
    }>(
      `SELECT event_id, stream_name, revision, global_position FROM ${this.schema}.events WHERE event_id = ANY($1::uuid[])`,
      [request.events.map((event) => event.eventId)],
    );
    return rows.map((row) => ({
      eventId: row.event_id,
      streamName: row.stream_name,
      revision: BigInt(row.revision),
      globalPosition: BigInt(row.global_position),
    }));
  }

  /** The cursor of an exclusive checkpoint: the (transaction id, position) of the event at or before it. */
  private async cursorAt(position: bigint): Promise<Cursor> {
    if (position === 0n) return { xid: '0', position: '0' };
    const { rows } = await this.query<Cursor>(
      `SELECT transaction_id::text AS xid, global_position::text AS position FROM ${this.schema}.events
        WHERE global_position <= $1 ORDER BY global_position DESC LIMIT 1`,
      [position.toString()],
    );
    return rows[0] ?? { xid: '0', position: '0' };
  }

  /**
   * The next events after `cursor` in the global order, among rows of transactions that can no
   * longer change what comes before them. The cursor advances over every row scanned, matched or
   * not, so a sparse filter does not rescan the same rows.
   */
  private async fetchAfter(
    cursor: Cursor,
    limit: number,
    streamPrefixes: string[] | undefined,
  ): Promise<{ events: RecordedEvent[]; cursor: Cursor; caughtUp: boolean }> {
    if (!streamPrefixes) return this.fetchAllAfter(cursor, limit);
    const patterns = streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`);
    const { rows } = await this.query<
      { last_xid: string; last_position: string; scanned: number } & (
        EventRow | { [K in keyof EventRow]: null }
      )
    >(
      `WITH visible AS (
         SELECT ${EVENT_COLUMNS}, transaction_id FROM ${this.schema}.events
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id, global_position
          LIMIT $3
       ), last AS (
         SELECT transaction_id::text AS last_xid, global_position::text AS last_position,
                (SELECT count(*) FROM visible)::int AS scanned
           FROM visible ORDER BY transaction_id DESC, global_position DESC LIMIT 1
       )
       SELECT last.*, v.${EVENT_COLUMN_NAMES.split(', ').join(', v.')}
         FROM last LEFT JOIN visible v ON v.stream_name LIKE ANY($4::text[])
        ORDER BY v.transaction_id, v.global_position`,
      [cursor.xid, cursor.position, limit, patterns],
    );
    const first = rows[0];
    if (!first) return { events: [], cursor, caughtUp: true };
    return {
      events: rows
        .filter((row): row is typeof row & EventRow => row.global_position !== null)
        .map(this.toRecorded),
      cursor: { xid: first.last_xid, position: first.last_position },
      caughtUp: first.scanned < limit,
    };
  }

  /** Whether events after `cursor` exist that are not yet deliverable (an older transaction runs). */
  private async hasHeldBackEvents(cursor: Cursor): Promise<boolean> {
    try {
      const { rows } = await this.pool.query<{ held: boolean }>({
        name: `${this.channel}_held_back`,
        text: `SELECT EXISTS (
                 SELECT 1 FROM ${this.schema}.events
                  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                    AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
               ) AS held`,
        values: [cursor.xid, cursor.position],
      });
      return rows[0]?.held ?? false;
    } catch (error) {
      throw translate(error);
    }
  }

  /** {@link fetchAfter} without a filter: every scanned row is delivered, so one plain range scan. */
  private async fetchAllAfter(
    cursor: Cursor,
    limit: number,
  ): Promise<{ events: RecordedEvent[]; cursor: Cursor; caughtUp: boolean }> {
    let rows: (EventRow & { xid: string })[];
    try {
      ({ rows } = await this.pool.query<EventRow & { xid: string }>({
        name: `${this.channel}_all_after`,
        text: `SELECT ${EVENT_COLUMNS}, transaction_id::text AS xid FROM ${this.schema}.events
                WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY transaction_id, global_position
                LIMIT $3`,
        values: [cursor.xid, cursor.position, limit],
      }));
    } catch (error) {
      throw translate(error);
    }
    const last = rows[rows.length - 1];
    return {
      events: rows.map(this.toRecorded),
      cursor: last ? { xid: last.xid, position: last.global_position } : cursor,
      caughtUp: rows.length < limit,
    };
  }

  private readonly toRecorded = (row: EventRow): RecordedEvent => {
    const event = storedEvent(row);
    return this.upcasters ? this.upcasters.upcast(event) : event;
  };

  /** One pool client LISTENs for the whole store; subscriptions poll as well, so losing it only delays them. */
  private ensureListener(): Promise<PoolClient> {
    if (this.listener) return this.listener;
    const listener = (async () => {
      const client = await this.pool.connect();
      client.on('notification', () => this.signal.notify());
      client.on('error', () => {
        if (this.listener === listener) this.listener = undefined;
        client.release(true);
      });
      await client.query(`LISTEN "${this.channel}"`);
      return client;
    })();
    this.listener = listener;
    listener.catch(() => {
      if (this.listener === listener) this.listener = undefined;
    });
    return listener;
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw translate(error);
    }
  }

  private async query<Row extends object>(text: string, values: unknown[]): Promise<{ rows: Row[] }> {
    try {
      return await this.pool.query<Row>(text, values);
    } catch (error) {
      throw translate(error);
    }
  }
}

function storedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    globalPosition: BigInt(row.global_position),
    recordedAt: new Date(row.recorded_at_ms),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return error instanceof DatabaseError && error.code === '23505' && error.constraint === constraint;
}

function duplicateId(request: AppendRequest): InvalidAppend {
  return new InvalidAppend(
    request.stream,
    'duplicate-event-id',
    'an event id of the batch is already stored elsewhere (not a retry of the same batch)',
  );
}

/** Vendor errors become the port's errors here, and nowhere else. */
function translate(error: unknown): Error {
  if (error instanceof EventStoreError) return error;
  if (error instanceof DatabaseError) {
    return new StoreFailure(`PostgreSQL error ${error.code ?? '?'}: ${error.message}`, { cause: error });
  }
  return new StoreFailure(
    `PostgreSQL unavailable: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}

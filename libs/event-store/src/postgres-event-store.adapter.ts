import { randomUUID } from 'node:crypto';
import {
  DatabaseError,
  Pool,
  type PoolClient,
  type QueryConfig,
  type QueryResult,
  type QueryResultRow,
} from 'pg';
import {
  assertExpectedRevision,
  chainEvents,
  DEFAULT_MAX_EVENT_BYTES,
  idempotentResult,
  prepareAppend,
  prepareStreamAppends,
  type AppendRequest,
  type ChainedEvent,
  type ExistingEvent,
} from './append-preparation';
import { ChangeSignal, startCatchUpSubscription } from './catch-up-subscription';
import {
  EventStoreError,
  InvalidAppend,
  InvalidArgument,
  StoreFailure,
  StreamDeleted,
  StreamNotFound,
} from './errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  MultiStreamEventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamRead,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionOptions,
  VerifyResult,
} from './event-store.port';
import { ChainVerifier } from './hash-chain';
import { GENESIS_HASH } from './hash-chain';
import { answeredInOneRoundTrip, inOneRoundTrip } from './pg-round-trip';
import {
  EVENT_ID_CONSTRAINT,
  migrate,
  STREAM_NAME_CONSTRAINT,
  STREAM_REVISION_CONSTRAINT,
} from './postgres-migrations';
import {
  normaliseAllRead,
  normaliseStreamRead,
  normaliseStreamReads,
  normaliseSubscription,
} from './read-options';
import { assertCategory, assertStreamName, categoryOf } from './stream-name';
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
  /**
   * Other stores on the same tables (other processes, a relay thread) learn of this store's commits
   * through a NOTIFY: at most one per this many milliseconds, a commit within the interval being
   * announced at its end. Default 0: one per burst of appends. This store's own subscriptions are
   * woken at the commit either way.
   */
  notifyIntervalMs?: number;
  upcasters?: UpcasterRegistry;
  /**
   * Categories whose streams are written once, such as idempotency guards: their heads are not
   * kept in the store's cache of stream heads (the last 10,000 streams appended to), which then
   * holds only streams that are appended to again. A busy service writing one guard stream per
   * message would otherwise push out the heads of streams it writes minutes apart, whose next
   * append would then read its head first. Appending to such a stream again still works: it reads
   * the head, as for any stream not in the cache.
   */
  writeOnceCategories?: readonly string[];
}

/** How often an append re-reads a head that moved under it before giving up. */
const MAX_HEAD_RETRIES = 20;
const HEAD_CACHE_SIZE = 10_000;

interface StreamHead {
  revision: bigint;
  hash: string;
  deleted: boolean;
}

/** The head of a stream without events. */
const NO_STREAM_HEAD: StreamHead = Object.freeze({ revision: -1n, hash: GENESIS_HASH, deleted: false });

/** What the multi-stream append statement answers: `ok`, and each event's place in the log. */
interface MultiAppendRow {
  ok: boolean;
  stream_name: string | null;
  event_id: string | null;
  position: string | null;
  recorded_at_ms: number | null;
}

/**
 * Options of {@link PostgresEventStore.appendToStreams}, the PostgreSQL adapter's own.
 */
export interface PostgresAppendOptions {
  /**
   * Runs inside the append's transaction, after every event is written and before they commit, with
   * the events as recorded (global positions included) and the transaction's client: rows written
   * there (a read model of the appended events, say) commit with the events or not at all. When it
   * throws, nothing of the append is written and the error is rethrown as it is. It must not
   * commit, roll back or release the client, and it holds the appended streams' rows locked while it
   * runs: keep it short.
   */
  withinTransaction?: (recorded: readonly RecordedEvent[], client: PoolClient) => Promise<void>;
  /**
   * Statements run inside the append's transaction, after every event is written, given the events
   * as recorded: sent together with its COMMIT, in one round trip ({@link inOneRoundTrip}). Like
   * {@link withinTransaction} they commit with the events or not at all: when one fails, PostgreSQL
   * rolls the transaction back at the COMMIT, nothing of the append is written, and its error is
   * rethrown as it is (as is one thrown by this function). They cannot depend on one another's
   * answers. Not together with `withinTransaction`.
   */
  statementsWithin?: (recorded: readonly RecordedEvent[]) => readonly QueryConfig[];
}

/** The caller's part of an append's transaction: work on its client, or statements sent with the COMMIT. */
type Within =
  | { work: NonNullable<PostgresAppendOptions['withinTransaction']> }
  | { statements: NonNullable<PostgresAppendOptions['statementsWithin']> };

/** One stream's part of a multi-stream append, chained on the head it expects to find. */
interface PlannedAppend {
  request: AppendRequest;
  /** Whether the stream's row existed (and is locked); otherwise the write inserts it. */
  existed: boolean;
  chained: ChainedEvent[];
  last: ChainedEvent;
  /** The head the events were chained on. */
  head: StreamHead;
}

/**
 * Parameters $1–$4 of the multi-stream append statement, each one JSON text: the heads (one row per
 * stream: name, category, new revision, new hash, whether its row exists, the revision and hash the
 * events were chained on), the events (one row each: stream, revision, id, type, schema version,
 * previous hash, hash), and their data and metadata documents. As `text[]` parameters instead, pg
 * builds an array literal element by element (escaping each one) for every column: on ingestion's
 * batches that was a seventh of everything the process allocated.
 */
function appendStreamsValues(planned: readonly PlannedAppend[]): string[] {
  const events = planned.flatMap((plan) => plan.chained);
  return [
    JSON.stringify(
      planned.map((plan) => [
        plan.request.stream,
        plan.request.category,
        plan.last.revision.toString(),
        plan.last.hash,
        plan.existed,
        plan.head.revision.toString(),
        plan.head.hash,
      ]),
    ),
    JSON.stringify(
      events.map((event) => [
        event.streamName,
        event.revision.toString(),
        event.eventId,
        event.type,
        event.schemaVersion,
        event.prevHash,
        event.hash,
      ]),
    ),
    jsonArray(events.map((event) => event.dataJson)),
    jsonArray(events.map((event) => event.metadataJson)),
  ];
}

/**
 * JSON documents as one JSON array text, for a `json` parameter read with `json_array_elements`
 * (which hands out each element's text as it is: the canonical JSON that is stored).
 * As a `text[]` parameter instead, every document would be escaped into an array literal (each
 * quote doubled in size, a regular expression run over every byte) and parsed back out of it.
 */
function jsonArray(documents: readonly string[]): string {
  return `[${documents.join(',')}]`;
}

/** Each planned append with its result, from the statement's last position per stream. */
function withPositions(
  planned: readonly PlannedAppend[],
  rows: readonly { stream_name: string | null; position: string | null }[],
): (PlannedAppend & { result: AppendResult })[] {
  // The rows are the events; a stream's position is that of its last event.
  const positions = new Map<string | null, bigint>();
  for (const row of rows) {
    if (row.position === null) continue;
    const position = BigInt(row.position);
    const before = positions.get(row.stream_name);
    if (before === undefined || position > before) positions.set(row.stream_name, position);
  }
  return planned.map((plan) => {
    const position = positions.get(plan.request.stream);
    if (position === undefined) {
      throw new StoreFailure(`the multi-stream append returned no position for "${plan.request.stream}"`);
    }
    // Not `{ ...plan, result }`: a property added after a leading spread is slow in Node 20 (see
    // chainEvents).
    return Object.assign({}, plan, { result: { nextExpectedRevision: plan.last.revision, position } });
  });
}

/**
 * BEGIN and the transaction's first statement in one round trip ({@link inOneRoundTrip}): the
 * statement runs inside the transaction, and one that fails leaves it aborted.
 */
export async function beginWith<Row extends QueryResultRow>(
  client: PoolClient,
  statement: QueryConfig,
): Promise<QueryResult<Row>> {
  const [, first] = await answeredInOneRoundTrip(client, [{ text: 'BEGIN' }, statement]);
  return first as QueryResult<Row>;
}

/** The caller's work of an append's transaction failed: rethrown as it was, after the rollback. */
class WorkFailed extends Error {
  constructor(readonly error: unknown) {
    super('the work inside the append transaction failed');
  }
}

/**
 * The caller's part of an append's transaction, then its COMMIT; the caller's failure is told apart
 * from the store's own ({@link WorkFailed}). Statements go with the COMMIT in one round trip: after
 * one of them failed, PostgreSQL answers the COMMIT of the aborted transaction by rolling it back.
 */
async function commitWithin(
  within: Within,
  recorded: readonly RecordedEvent[],
  client: PoolClient,
): Promise<void> {
  if ('work' in within) {
    try {
      await within.work(recorded, client);
    } catch (error) {
      throw new WorkFailed(error);
    }
    await client.query('COMMIT');
    return;
  }
  let statements: readonly QueryConfig[];
  try {
    statements = within.statements(recorded);
  } catch (error) {
    throw new WorkFailed(error);
  }
  const outcomes = await inOneRoundTrip(client, [...statements, { text: 'COMMIT' }]);
  const commit = outcomes.pop();
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw new WorkFailed(failed.reason);
  if (commit?.status !== 'fulfilled') throw commit?.reason;
  if (commit.value.command !== 'COMMIT') {
    throw new StoreFailure(`the append's transaction ended with ${commit.value.command}, not COMMIT`);
  }
}

/** A multi-stream write that ran into a stream another writer created meanwhile (its name or first revision). */
function streamCreatedElsewhere(error: unknown): boolean {
  return (
    isUniqueViolation(error, STREAM_NAME_CONSTRAINT) ||
    isUniqueViolation(error, STREAM_REVISION_CONSTRAINT) ||
    // Two writers creating the same new streams: PostgreSQL runs the statement's inserts of stream
    // rows and of events in an order of its own, so each may wait for a row the other inserted and
    // one of them is rolled back as a deadlock instead of failing on the unique key.
    (error instanceof DatabaseError && error.code === '40P01')
  );
}

/**
 * What a write on known heads may run into without having written anything: a stream another writer
 * created meanwhile, or an event id stored before. The locked path then finds out which it was.
 */
function knownHeadsConflict(error: unknown): boolean {
  return streamCreatedElsewhere(error) || isUniqueViolation(error, EVENT_ID_CONSTRAINT);
}

/** The events of a multi-stream append as recorded, in the order written, from the statement's rows. */
function recordedOf(planned: readonly PlannedAppend[], rows: readonly MultiAppendRow[]): RecordedEvent[] {
  const byId = new Map(rows.map((row) => [row.event_id, row]));
  return planned.flatMap((plan) =>
    plan.chained.map((event): RecordedEvent => {
      const row = byId.get(event.eventId);
      if (!row?.position || row.recorded_at_ms === null)
        throw new StoreFailure(`the multi-stream append returned no position for event ${event.eventId}`);
      return {
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        // As a reader gets them back: parsed from what was stored.
        data: JSON.parse(event.dataJson) as unknown,
        metadata: JSON.parse(event.metadataJson) as EventMetadata,
        streamName: event.streamName,
        revision: event.revision,
        globalPosition: BigInt(row.position),
        recordedAt: new Date(row.recorded_at_ms),
        prevHash: event.prevHash,
        hash: event.hash,
      };
    }),
  );
}

type AppendOutcome =
  | { kind: 'appended'; result: AppendResult; head: StreamHead }
  | { kind: 'done'; result: AppendResult }
  | { kind: 'moved' };

/** The position in the global order: transaction id first, then global position. */
interface Cursor {
  xid: string;
  position: string;
}

/** A page of the global order: its events, the cursor after it, and what lies beyond. */
interface Fetched {
  events: RecordedEvent[];
  cursor: Cursor;
  /** Fewer rows than asked for were deliverable. */
  caughtUp: boolean;
  /** Rows after the page exist that a transaction still running (or just ended) holds back. */
  heldBack: boolean;
}

/**
 * The delivery frontier of a read: every row of a transaction id below it can be delivered, because
 * every transaction of this database below it has ended. It is the oldest transaction still in
 * flight in the statement's snapshot (`pg_snapshot_xmin` would be that too), leaving out those known
 * to run in another database of the cluster: they cannot write this database's events, and without
 * this a long transaction of another database (another service's, another test's) would hold back
 * every subscription here.
 *
 * A transaction is left out only while the activity statistics still show it in another database
 * (`pg_stat_get_activity`: the function behind `pg_stat_activity`, without the view's joins, which
 * cost planning time on every page). One that ended in the meantime, a prepared transaction, or one
 * whose details the role may not see (another user, without `pg_read_all_stats`) keeps holding back,
 * as before. With none in flight, the frontier is the snapshot's `xmax`, which then equals `xmin`.
 */
const FRONTIER_SQL = `(SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot()))
     FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE x::xid NOT IN (
      SELECT a.backend_xid FROM pg_stat_get_activity(NULL) AS a
       WHERE a.backend_xid IS NOT NULL
         AND a.datid <> (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database())))`;

/**
 * Whether rows after the cursor ($1, $2) belong to transactions not yet below the frontier
 * ({@link FRONTIER_SQL}): such rows sort after every deliverable row (the order is transaction first).
 * Only the last row in that order needs looking at: it has the highest transaction id, so if it is
 * not such a row, none is. One step down the index, however long the log (an EXISTS over the range
 * would be planned as a scan that reads every row when, as usual, nothing is held back).
 */
const HELD_BACK_SQL = (schema: string): string =>
  `SELECT EXISTS (
     SELECT 1 FROM (
       SELECT transaction_id, global_position FROM ${schema}.events
        ORDER BY transaction_id DESC, global_position DESC LIMIT 1
     ) last
      WHERE (last.transaction_id, last.global_position) > ($1::xid8, $2::bigint)
        AND last.transaction_id >= ${FRONTIER_SQL}
   )`;

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
 * of this database still in flight ({@link FRONTIER_SQL}), ordered by (transaction id, global
 * position). A transaction that commits late therefore becomes visible at the end of the order,
 * never behind a checkpoint. The cost: a long-running writing transaction in the same database (of
 * any schema) holds back global reads until it ends; one in another database does not.
 *
 * Multi-stream appends lock the heads of every existing stream of the call (in name order, so two
 * of them cannot deadlock) and write all heads and events in one transaction.
 *
 * Live subscriptions wake up on LISTEN/NOTIFY and also poll, so a lost notification only delays them.
 * Call {@link PostgresEventStore.init} once before use.
 */
export class PostgresEventStore implements MultiStreamEventStore {
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
  /** {@link PostgresEventStoreOptions.writeOnceCategories}. */
  private readonly writeOnce: ReadonlySet<string>;
  private readonly notifyIntervalMs: number;
  private notifying = false;
  private notifyAgain = false;
  private notifyTimer: NodeJS.Timeout | undefined;
  private notifiedAt = Number.NEGATIVE_INFINITY;
  /**
   * The payload of this store's NOTIFYs. Its subscriptions were woken at the commit already, so the
   * echo of its own NOTIFY is ignored: woken twice, each subscription would read a second time and
   * find nothing new.
   */
  private readonly notifier = randomUUID();

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
    this.notifyIntervalMs = options.notifyIntervalMs ?? 0;
    if (!Number.isFinite(this.notifyIntervalMs) || this.notifyIntervalMs < 0) {
      throw new RangeError(`notifyIntervalMs must be a finite number >= 0, got ${this.notifyIntervalMs}`);
    }
    this.upcasters = options.upcasters;
    for (const category of options.writeOnceCategories ?? []) assertCategory(category);
    this.writeOnce = new Set(options.writeOnceCategories);
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
    // A stream expected not to exist needs no read of its head: the append's conditional upsert
    // creates it, or matches nothing when it exists after all (then its head is read below and the
    // expectation fails as usual). One round trip for every first event of a stream.
    let head =
      this.heads.get(request.stream) ??
      (options.expectedRevision === 'no-stream'
        ? NO_STREAM_HEAD
        : await this.readHead(this.pool, request.stream));
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

  async appendToStreams(
    appends: readonly StreamAppend[],
    options: PostgresAppendOptions = {},
  ): Promise<AppendResult[]> {
    const requests = prepareStreamAppends(appends, {
      maxEventBytes: this.maxEventBytes,
      upcasters: this.upcasters,
    });
    if (requests.length === 0) return [];
    if (options.withinTransaction && options.statementsWithin) {
      throw new InvalidArgument('options', 'withinTransaction and statementsWithin exclude each other');
    }
    const within: Within | undefined = options.withinTransaction
      ? { work: options.withinTransaction }
      : options.statementsWithin
        ? { statements: options.statementsWithin }
        : undefined;
    const known = this.planOnKnownHeads(requests);
    if (known) {
      const written = within
        ? await this.tryAppendOnKnownHeadsWithin(known, within)
        : await this.tryAppendOnKnownHeads(known);
      if (written) return this.appendedToStreams(written);
      // A cached head was stale, or a stream expected to be new exists: decide on the stored heads.
      for (const request of requests) this.heads.delete(request.stream);
    }
    for (let attempt = 0; ; attempt += 1) {
      const written = await this.tryAppendToStreams(requests, within);
      if (written) return this.appendedToStreams(written);
      // A stream that had no row when the heads were locked was created by another writer since:
      // nothing was written, and the next attempt locks its head and checks against it.
      if (attempt >= MAX_HEAD_RETRIES) {
        throw new StoreFailure(
          `streams kept being created by other writers during ${MAX_HEAD_RETRIES} multi-stream append attempts`,
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

  async readStreams(reads: readonly StreamRead[]): Promise<Map<string, RecordedEvent[] | undefined>> {
    const normalised = normaliseStreamReads(reads);
    const result = new Map<string, RecordedEvent[] | undefined>();
    if (normalised.length === 0) return result;
    const { rows } = await this.query<
      { requested: string; deleted: boolean | null } & (EventRow | { [K in keyof EventRow]: null })
    >(
      `SELECT r.name AS requested, s.deleted, e.*
         FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS r(name, from_revision, ord)
         LEFT JOIN ${this.schema}.streams s ON s.name = r.name
         LEFT JOIN LATERAL (
           SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events ev
            WHERE ev.stream_name = s.name AND NOT s.deleted AND ev.revision >= r.from_revision
            ORDER BY ev.revision
         ) e ON true
        ORDER BY r.ord, e.revision`,
      [normalised.map((read) => read.stream), normalised.map((read) => read.fromRevision.toString())],
      // Named, like the multi-stream append: parsed once per connection (see query()).
      `${this.channel}_read_streams`,
    );
    // Rows come in request order, at least one per requested stream (the joins are outer).
    for (const row of rows) {
      if (row.deleted === null) {
        result.set(row.requested, undefined);
        continue;
      }
      if (row.deleted) throw new StreamDeleted(row.requested);
      const events = result.get(row.requested) ?? [];
      result.set(row.requested, events);
      if (row.global_position !== null) events.push(this.toRecorded(row));
    }
    return result;
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
          const { heldBack, ...batch } = await this.fetchAfter(cursor, SUBSCRIPTION_BATCH, streamPrefixes);
          if (!batch.caughtUp) return batch;
          if (!this.listener) void this.ensureListener().catch(() => undefined);
          // Events committed behind a transaction still running elsewhere are held back until it
          // ends, and their NOTIFY has already been spent: say so, so the loop polls again soon
          // instead of waiting for the next append or the poll interval.
          return { ...batch, heldBack };
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
      readNow: () => subscription.readNow?.(),
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
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
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

  /** The stream's head as stored now ({@link NO_STREAM_HEAD} when it has no events). */
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
        : NO_STREAM_HEAD;
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
                   $6::json AS data, $7::json AS metadata, $8::text AS prev_hash, $9::text AS hash, 1 AS ord) b`
        : `ROWS FROM (unnest($2::bigint[]), unnest($3::uuid[]), unnest($4::text[]), unnest($5::int[]),
                     json_array_elements($6::json), json_array_elements($7::json), unnest($8::text[]),
                     unnest($9::text[]))
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
           SELECT $1, b.revision, b.event_id, b.type, b.schema_version, b.data, b.metadata, b.prev_hash, b.hash
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
          single ? last.dataJson : jsonArray(chained.map((event) => event.dataJson)),
          single ? last.metadataJson : jsonArray(chained.map((event) => event.metadataJson)),
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

  private appendedToStreams(written: readonly (PlannedAppend & { result: AppendResult })[]): AppendResult[] {
    for (const { request, last } of written) {
      this.rememberHead(request.stream, { revision: last.revision, hash: last.hash, deleted: false });
    }
    this.announce();
    return written.map(({ result }) => result);
  }

  /**
   * The plan of a multi-stream append when every head is known without reading it: from this
   * store's cache, or, for a stream expected not to exist, the empty head. Undefined when a head is
   * unknown or the known heads already fail an expectation (the locked path then decides, and
   * reports).
   */
  private planOnKnownHeads(requests: readonly AppendRequest[]): PlannedAppend[] | undefined {
    const planned: PlannedAppend[] = [];
    for (const request of requests) {
      const cached = this.heads.get(request.stream);
      if (!cached && request.expectedRevision !== 'no-stream') return undefined;
      const head = cached ?? NO_STREAM_HEAD;
      if (head.deleted) return undefined;
      try {
        assertExpectedRevision(request, head.revision);
      } catch {
        return undefined;
      }
      const chained = chainEvents(request, head.revision, head.hash);
      const last = chained[chained.length - 1];
      if (!last) return undefined;
      planned.push({ request, existed: cached !== undefined, chained, last, head });
    }
    return planned;
  }

  /**
   * The write of every multi-stream append (parameters: {@link appendStreamsValues}, the heads
   * carrying what the events were chained on): every head and every event. With `lock-and-check`
   * it first locks the rows of the streams (in name order, the order every multi-stream append locks in) and
   * writes only if every locked head is the one the events were chained on and no stream expected
   * to be new has a row (`ok` false: nothing was written). The events are inserted in request
   * order, then batch order, so their global positions (and the global order, all of them sharing
   * one transaction id) follow the request.
   *
   * Prepared by name (one name per text: the schema and the mode), so each connection parses it
   * once, and plans it once where the pool's connections force generic plans (see {@link query}):
   * planning it on every call cost PostgreSQL about half as much as running it.
   */
  private multiAppendStatement(
    planned: readonly PlannedAppend[],
    heads: 'lock-and-check' | 'locked-already',
  ): { name: string; text: string; values: unknown[] } {
    // Heads locked by an earlier statement of the transaction are not locked again: rows committed
    // since then would be locked after the others, out of name order, and two appends could then
    // wait for each other.
    const checked =
      heads === 'locked-already'
        ? `checked AS (SELECT true AS ok)`
        : `locked AS (
         SELECT name, revision, last_hash, deleted FROM ${this.schema}.streams
          WHERE name = ANY(ARRAY(SELECT h->>0 FROM jsonb_array_elements($1::jsonb) h)) ORDER BY name FOR UPDATE
       ), checked AS (
         SELECT coalesce(bool_and(CASE WHEN h.existed
                                       THEN l.revision = h.prev_revision AND l.last_hash = h.prev_hash AND NOT l.deleted
                                       ELSE l.name IS NULL END), false) AS ok
           FROM head h LEFT JOIN locked l ON l.name = h.name
       )`;
    return {
      name: `${this.channel}_append_streams_${heads === 'lock-and-check' ? 'checked' : 'locked'}`,
      text: `WITH head AS (
         SELECT h->>0 AS name, h->>1 AS category, (h->>2)::bigint AS revision, h->>3 AS last_hash,
                (h->>4)::boolean AS existed, (h->>5)::bigint AS prev_revision, h->>6 AS prev_hash
           FROM jsonb_array_elements($1::jsonb) h
       ), ${checked}, moved AS (
         UPDATE ${this.schema}.streams s
            SET revision = head.revision, last_hash = head.last_hash, updated_at = now()
           FROM head
          WHERE s.name = head.name AND head.existed AND (SELECT ok FROM checked)
       ), created AS (
         INSERT INTO ${this.schema}.streams (name, category, revision, last_hash)
         SELECT name, category, revision, last_hash FROM head WHERE NOT existed AND (SELECT ok FROM checked)
          ORDER BY name
       ), ins AS (
         INSERT INTO ${this.schema}.events
           (stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash)
         SELECT b.e->>0, (b.e->>1)::bigint, (b.e->>2)::uuid, b.e->>3, (b.e->>4)::int, b.data, b.metadata,
                b.e->>5, b.e->>6
           FROM ROWS FROM (jsonb_array_elements($2::jsonb), json_array_elements($3::json),
                           json_array_elements($4::json))
                WITH ORDINALITY AS b(e, data, metadata, ord)
          WHERE (SELECT ok FROM checked)
          ORDER BY b.ord
         RETURNING stream_name, event_id, global_position, recorded_at
       )
       SELECT checked.ok, i.stream_name, i.event_id::text AS event_id, i.global_position::text AS position,
              (extract(epoch from i.recorded_at) * 1000)::float8 AS recorded_at_ms
         FROM checked LEFT JOIN ins i ON true`,
      values: appendStreamsValues(planned),
    };
  }

  /**
   * A multi-stream append on heads known beforehand, in one statement (one round trip, its own
   * transaction): it locks the rows of the streams (in name order, like every multi-stream append),
   * and writes heads and events only if every locked head is the one the events were chained on and
   * no stream expected to be new has a row. Undefined when that check fails or a stream was created
   * meanwhile: then nothing was written.
   */
  private async tryAppendOnKnownHeads(
    planned: readonly PlannedAppend[],
  ): Promise<(PlannedAppend & { result: AppendResult })[] | undefined> {
    let rows: MultiAppendRow[];
    try {
      ({ rows } = await this.pool.query<MultiAppendRow>(
        this.multiAppendStatement(planned, 'lock-and-check'),
      ));
    } catch (error) {
      if (knownHeadsConflict(error)) return undefined;
      throw translate(error);
    }
    if (!rows[0]?.ok) return undefined;
    return withPositions(planned, rows);
  }

  /**
   * {@link tryAppendOnKnownHeads} with work in the append's transaction: BEGIN with the same
   * statement ({@link beginWith}), the work, COMMIT (two round trips more than the statement alone;
   * one with statements sent with the COMMIT).
   */
  private async tryAppendOnKnownHeadsWithin(
    planned: readonly PlannedAppend[],
    within: Within,
  ): Promise<(PlannedAppend & { result: AppendResult })[] | undefined> {
    const client = await this.connect();
    try {
      const { rows } = await beginWith<MultiAppendRow>(
        client,
        this.multiAppendStatement(planned, 'lock-and-check'),
      );
      if (!rows[0]?.ok) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const written = withPositions(planned, rows);
      await commitWithin(within, recordedOf(planned, rows), client);
      return written;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof WorkFailed) throw error.error;
      if (knownHeadsConflict(error)) return undefined;
      throw translate(error);
    } finally {
      client.release();
    }
  }

  /**
   * One attempt at a multi-stream append, on one connection in three round trips whatever the number
   * of streams: BEGIN with the lock of the rows of the streams that exist (in name order, the order
   * every multi-stream append locks in; {@link beginWith}), then every expectation checked against
   * them; write every head and every event in {@link multiAppendStatement}; COMMIT. Streams without
   * a row are inserted by that statement, so another writer creating one in between makes it fail
   * on a unique key (the stream's name or its first revision): then nothing was written and the
   * result is undefined, for the caller to try again.
   */
  private async tryAppendToStreams(
    requests: readonly AppendRequest[],
    within?: Within,
  ): Promise<(PlannedAppend & { result: AppendResult })[] | undefined> {
    const client = await this.connect();
    try {
      const { rows: locked } = await beginWith<{
        name: string;
        revision: string;
        last_hash: string;
        deleted: boolean;
      }>(client, {
        text: `SELECT name, revision, last_hash, deleted FROM ${this.schema}.streams
                WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE`,
        values: [requests.map((request) => request.stream)],
      });
      const heads = new Map(
        locked.map((row): [string, StreamHead] => [
          row.name,
          { revision: BigInt(row.revision), hash: row.last_hash, deleted: row.deleted },
        ]),
      );
      // In request order, so the error names the first stream whose expectation failed.
      const planned = requests.map((request): PlannedAppend => {
        const head = heads.get(request.stream) ?? NO_STREAM_HEAD;
        if (head.deleted) throw new StreamDeleted(request.stream);
        assertExpectedRevision(request, head.revision);
        const chained = chainEvents(request, head.revision, head.hash);
        const last = chained[chained.length - 1];
        if (!last) {
          throw new InvalidAppend(request.stream, 'empty-batch', 'an append needs at least one event');
        }
        return { request, existed: heads.has(request.stream), chained, last, head };
      });
      // The heads are locked by this transaction; a stream created meanwhile by another writer
      // makes the statement fail on a unique key (below).
      const { rows } = await client.query<MultiAppendRow>(
        this.multiAppendStatement(planned, 'locked-already'),
      );
      const written = withPositions(planned, rows);
      if (within) await commitWithin(within, recordedOf(planned, rows), client);
      else await client.query('COMMIT');
      return written;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof WorkFailed) throw error.error;
      // Which of the two rows of the other writer's new stream the statement ran into first is up
      // to PostgreSQL; the rows of the streams this call locked cannot conflict.
      if (streamCreatedElsewhere(error)) return undefined;
      if (isUniqueViolation(error, EVENT_ID_CONSTRAINT)) throw await this.alreadyStored(client, requests);
      throw translate(error);
    } finally {
      client.release();
    }
  }

  /** The error for a multi-stream append with an event id stored before: names the first such stream. */
  private async alreadyStored(
    client: PoolClient,
    requests: readonly AppendRequest[],
  ): Promise<InvalidAppend> {
    const ids = requests.flatMap((request) => request.events.map((event) => event.eventId));
    const { rows } = await client
      .query<{ event_id: string }>(
        `SELECT event_id FROM ${this.schema}.events WHERE event_id = ANY($1::uuid[])`,
        [ids],
      )
      .catch(() => ({ rows: [] as { event_id: string }[] }));
    const stored = new Set(rows.map((row) => row.event_id));
    const request = requests.find((candidate) => candidate.events.some((event) => stored.has(event.eventId)));
    const eventId = request?.events.find((event) => stored.has(event.eventId))?.eventId;
    return new InvalidAppend(
      request?.stream ?? requests[0]?.stream ?? '',
      'duplicate-event-id',
      eventId === undefined
        ? 'an event id of the call is already stored'
        : `event ${eventId} is already stored`,
    );
  }

  private rememberHead(stream: string, head: StreamHead): void {
    if (this.writeOnce.size > 0 && this.writeOnce.has(categoryOf(stream))) return;
    this.heads.delete(stream);
    this.heads.set(stream, head);
    if (this.heads.size > HEAD_CACHE_SIZE) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }

  /**
   * Wakes subscriptions after a commit: this store's at once, other stores' (other processes, a
   * relay thread) through {@link notifyOthers}.
   */
  private announce(): void {
    this.signal.notify();
    this.notifyOthers();
  }

  /**
   * One NOTIFY per burst of appends, whose payload names this store, and at most one per
   * `notifyIntervalMs`. Commits made while one is in flight or within the interval are announced by
   * the next, sent after them. The NOTIFY is its own statement, never part of an append: PostgreSQL
   * serialises the commits of all transactions that notify, which would cap append throughput.
   */
  private notifyOthers(): void {
    if (this.notifying || this.notifyTimer) {
      this.notifyAgain = true;
      return;
    }
    const waitMs = this.notifyIntervalMs - (Date.now() - this.notifiedAt);
    if (waitMs > 0) {
      this.notifyTimer = setTimeout(() => {
        this.notifyTimer = undefined;
        if (!this.closed) this.notifyOthers();
      }, waitMs);
      return;
    }
    this.notifying = true;
    this.notifyAgain = false;
    this.notifiedAt = Date.now();
    void this.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, this.notifier])
      .catch(() => undefined) // a lost wake-up only delays other processes until their next poll
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain && !this.closed) this.notifyOthers();
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
   * not, so a sparse filter does not rescan the same rows. `heldBack` says, from the same snapshot,
   * whether committed or running transactions still hold rows back after them (an event of an
   * in-flight-or-newer transaction sorts after every deliverable one, since the order is by
   * transaction id first), so a subscription needs no second query to know it must poll again.
   */
  private async fetchAfter(
    cursor: Cursor,
    limit: number,
    streamPrefixes: string[] | undefined,
  ): Promise<Fetched> {
    if (!streamPrefixes) return this.fetchAllAfter(cursor, limit);
    const patterns = streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`);
    const { rows } = await this.query<
      { held: boolean; last_xid: string | null; last_position: string | null; scanned: number | null } & (
        EventRow | { [K in keyof EventRow]: null }
      )
    >(
      `WITH visible AS (
         SELECT ${EVENT_COLUMNS}, transaction_id FROM ${this.schema}.events
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            AND transaction_id < ${FRONTIER_SQL}
          ORDER BY transaction_id, global_position
          LIMIT $3
       ), last AS (
         SELECT transaction_id::text AS last_xid, global_position::text AS last_position,
                (SELECT count(*) FROM visible)::int AS scanned
           FROM visible ORDER BY transaction_id DESC, global_position DESC LIMIT 1
       ), held AS (
         ${HELD_BACK_SQL(this.schema)} AS held
       )
       SELECT held.held, last.*, v.${EVENT_COLUMN_NAMES.split(', ').join(', v.')}
         FROM held
         LEFT JOIN last ON true
         LEFT JOIN visible v ON last.last_xid IS NOT NULL AND v.stream_name LIKE ANY($4::text[])
        ORDER BY v.transaction_id, v.global_position`,
      [cursor.xid, cursor.position, limit, patterns],
      `${this.channel}_after`,
    );
    const first = rows[0];
    const heldBack = first?.held ?? false;
    if (!first || first.last_xid === null || first.last_position === null) {
      return { events: [], cursor, caughtUp: true, heldBack };
    }
    return {
      events: rows
        .filter((row): row is typeof row & EventRow => row.global_position !== null)
        .map(this.toRecorded),
      cursor: { xid: first.last_xid, position: first.last_position },
      caughtUp: (first.scanned ?? 0) < limit,
      heldBack,
    };
  }

  /** {@link fetchAfter} without a filter: every scanned row is delivered, so one plain range scan. */
  private async fetchAllAfter(cursor: Cursor, limit: number): Promise<Fetched> {
    const { rows } = await this.query<
      { held: boolean; xid: string | null } & (EventRow | { [K in keyof EventRow]: null })
    >(
      `SELECT held.held, e.*
         FROM (${HELD_BACK_SQL(this.schema)} AS held) held
         LEFT JOIN LATERAL (
           SELECT ${EVENT_COLUMNS}, transaction_id, transaction_id::text AS xid FROM ${this.schema}.events
            WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
              AND transaction_id < ${FRONTIER_SQL}
            ORDER BY transaction_id, global_position
            LIMIT $3
         ) e ON true
        ORDER BY e.transaction_id, e.global_position`,
      [cursor.xid, cursor.position, limit],
      `${this.channel}_all_after`,
    );
    const heldBack = rows[0]?.held ?? false;
    const events = rows.filter((row): row is typeof row & EventRow & { xid: string } => row.xid !== null);
    const last = events[events.length - 1];
    return {
      events: events.map(this.toRecorded),
      cursor: last ? { xid: last.xid, position: last.global_position } : cursor,
      caughtUp: events.length < limit,
      heldBack,
    };
  }

  private readonly toRecorded = (row: EventRow): RecordedEvent => {
    const event = storedEvent(row);
    return this.upcasters ? this.upcasters.upcast(event) : event;
  };

  /** One pool client LISTENs for the whole store; subscriptions poll as well, so losing it only delays them. */
  private ensureListener(): Promise<PoolClient> {
    if (this.listener) return this.listener;
    // A page fetched while close() runs must not open a listener nobody will release.
    if (this.closed) return Promise.reject(new StoreFailure('the event store is closed'));
    const listener = (async () => {
      const client = await this.pool.connect();
      client.on('notification', (message) => {
        if (message.payload !== this.notifier) this.signal.notify();
      });
      // A terminated backend can emit 'error' more than once, and close() may have released the client
      // already: it goes back to the pool exactly once.
      let released = false;
      const release = client.release.bind(client);
      client.release = (destroy?: boolean | Error) => {
        if (released) return;
        released = true;
        release(destroy);
      };
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

  /**
   * One statement on the pool, its failure translated. With a `name`, a named statement: parsed
   * once per connection, and planned once when PostgreSQL finds its generic plan as good as the
   * custom ones, or always once where the pool's connections set `plan_cache_mode` to
   * `force_generic_plan`. Named are the statements of the hot paths (appends, stream and
   * subscription reads), whose planning costs PostgreSQL about as much as running them. A generic
   * plan made while the tables were small may scan them, and is kept until PostgreSQL analyses them
   * again: a pool that forces generic plans should also steer the planner to index lookups (as the
   * conversations service does, `DB_PLANNER`).
   */
  private async query<Row extends object>(
    text: string,
    values: unknown[],
    name?: string,
  ): Promise<{ rows: Row[] }> {
    try {
      return await this.pool.query<Row>(name === undefined ? { text, values } : { name, text, values });
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

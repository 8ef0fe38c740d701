import crypto from 'node:crypto';
import { type Pool, type PoolClient } from 'pg';
import {
  createIsolatedDatabase,
  type IsolatedDatabase,
  overriding,
  testPool,
  watchingWire,
  watchWire,
} from '@handoff/testing';
import {
  InvalidArgument,
  InvalidStreamName,
  StoreFailure,
  StreamDeleted,
  WrongExpectedVersion,
} from './errors';
import {
  contractMetadata,
  eventStoreContract,
  recordSubscription,
  type ContractStoreOptions,
} from './event-store.contract';
import type { NewEvent, RecordedEvent } from './event-store.port';
import { canonicalJson, computeEventHash, GENESIS_HASH } from './hash-chain';
import { beginWith, type PostgresAppendOptions, PostgresEventStore } from './postgres-event-store.adapter';
import { UpcasterRegistry } from './upcasters';

let database: IsolatedDatabase;
let pool: Pool;
const stores: PostgresEventStore[] = [];

beforeAll(async () => {
  database = await createIsolatedDatabase('event-store');
  pool = testPool(database.url, { max: 12 });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await pool?.end();
  await database?.drop();
});

/** A store in a schema of its own, so global reads see only one test's events. */
async function makePostgresStore(
  options: ContractStoreOptions & {
    pollIntervalMs?: number;
    notifyIntervalMs?: number;
    connection?: Pool;
    writeOnceCategories?: readonly string[];
  } = {},
) {
  const schema = `es_${crypto.randomBytes(5).toString('hex')}`;
  const store = new PostgresEventStore({ connection: pool, schema, pollIntervalMs: 100, ...options });
  await store.init();
  stores.push(store);
  return { store, schema };
}

eventStoreContract('PostgreSQL', async (options) => (await makePostgresStore(options)).store);

const event = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata: contractMetadata() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

describe('PostgreSQL adapter', () => {
  it('migrates idempotently and records the schema version', async () => {
    const { store, schema } = await makePostgresStore();
    await store.init();
    await Promise.all([store.init(), new PostgresEventStore({ connection: pool, schema }).init()]);
    const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it("updates a stream's head in place on a full page (room left for HOT updates)", async () => {
    const { store, schema } = await makePostgresStore();
    const names = Array.from({ length: 300 }, (_, i) => `ticket-page${String(i).padStart(3, '0')}`);
    await store.appendToStreams(
      names.map((stream) => ({ stream, events: [event('Opened')], expectedRevision: 'no-stream' as const })),
    );
    const blockOf = async (name: string) => {
      const { rows } = await pool.query<{ block: string }>(
        `SELECT (ctid::text::point)[0]::bigint AS block FROM "${schema}".streams WHERE name = $1`,
        [name],
      );
      return Number(rows[0]!.block);
    };
    // The table's first page is as full as it gets; its first head moves on.
    expect(await blockOf(names[names.length - 1]!)).toBeGreaterThan(0);
    const before = await blockOf(names[0]!);
    await store.append(names[0]!, [event('Noted')], { expectedRevision: 0n });
    // The new version stays on its page (a HOT update): no new entry in the table's index.
    expect(await blockOf(names[0]!)).toBe(before);
    expect((await store.readStream(names[0]!)).map((e) => e.type)).toEqual(['Opened', 'Noted']);
  });

  it('keeps the heads of write-once categories out of its cache, and can still append to them', async () => {
    const headReads: string[] = [];
    const counting = overriding(pool, {
      query: ((config: unknown, values?: unknown) => {
        const query = config as { name?: string; values?: string[] };
        if (query?.name?.endsWith('_head')) headReads.push(query.values![0]!);
        return (pool.query as (c: unknown, v?: unknown) => unknown)(config, values);
      }) as Pool['query'],
    });
    const { store } = await makePostgresStore({ connection: counting, writeOnceCategories: ['guard'] });
    await store.appendToStreams([
      { stream: 'guard-1', events: [event('Claimed')], expectedRevision: 'no-stream' },
      { stream: 'ticket-1', events: [event('Opened')], expectedRevision: 'no-stream' },
    ]);
    await store.append('guard-2', [event('Claimed')], { expectedRevision: 'no-stream' });
    expect(headReads).toEqual([]);
    // The ticket's head is known; the guards' are read first, and their appends still succeed.
    await store.append('ticket-1', [event('Noted')], { expectedRevision: 0n });
    await store.append('guard-1', [event('Replanned')], { expectedRevision: 0n });
    await store.append('guard-2', [event('Replanned')], { expectedRevision: 0n });
    expect(headReads).toEqual(['guard-1', 'guard-2']);
    expect((await store.readStream('guard-1')).map((e) => e.type)).toEqual(['Claimed', 'Replanned']);
    expect(() => new PostgresEventStore({ connection: pool, writeOnceCategories: ['bad-category'] })).toThrow(
      InvalidStreamName,
    );
  });

  it('stores data and metadata as the canonical JSON text that was hashed', async () => {
    const { store, schema } = await makePostgresStore();
    const data = { b: [1, 'x', null], a: { d: 'é\u2028', c: 1.5 } };
    await store.append('ticket-text', [event('Noted', data)], { expectedRevision: 'no-stream' });
    const { rows } = await pool.query<{ data: string; metadata: string; kind: string }>(
      `SELECT data::text AS data, metadata::text AS metadata, pg_typeof(data)::text AS kind
         FROM "${schema}".events WHERE stream_name = 'ticket-text'`,
    );
    expect(rows).toEqual([
      {
        data: canonicalJson(data),
        metadata: canonicalJson(contractMetadata()),
        kind: 'json',
      },
    ]);
  });

  it('migrates a store whose documents are jsonb (version 1) to json text, events and chains intact', async () => {
    const { store, schema } = await makePostgresStore();
    const data = { zebra: 1, alpha: { nested: [true, 2.5, 'ü'] }, mid: 'x' };
    await store.append('ticket-old', [event('Noted', data), event('Noted', { i: 2 })], {
      expectedRevision: 'no-stream',
    });
    // As version 1 left it: jsonb documents (jsonb's own key order), version 2 not applied.
    await pool.query(
      `ALTER TABLE "${schema}".events ALTER COLUMN data TYPE jsonb USING data::jsonb,
                                       ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb;
       DELETE FROM "${schema}".schema_migrations WHERE version = 2`,
    );
    const upgraded = new PostgresEventStore({ connection: pool, schema });
    stores.push(upgraded);
    await upgraded.init();
    const { rows } = await pool.query<{ kind: string }>(
      `SELECT DISTINCT pg_typeof(data)::text AS kind FROM "${schema}".events`,
    );
    expect(rows).toEqual([{ kind: 'json' }]);
    expect((await upgraded.readStream('ticket-old')).map((e) => e.data)).toEqual([data, { i: 2 }]);
    expect(await upgraded.verifyStream('ticket-old')).toMatchObject({ ok: true, events: 2 });
    await upgraded.append('ticket-old', [event('Noted', { i: 3 })], { expectedRevision: 1n });
    expect(await upgraded.verifyStream('ticket-old')).toMatchObject({ ok: true, events: 3 });
  });

  it('keeps one chain when two processes append to the same stream (stale cached heads)', async () => {
    const { store: first, schema } = await makePostgresStore();
    const second = new PostgresEventStore({ connection: pool, schema });
    stores.push(second);
    // Each instance caches the head it wrote last; the other one's appends make that cache stale.
    for (let i = 0; i < 10; i++) {
      const writer = i % 2 === 0 ? first : second;
      await writer.append('ticket-shared', [event('Noted', { i })], { expectedRevision: 'any' });
    }
    await expect(
      second.append('ticket-shared', [event('Late')], { expectedRevision: 8n }),
    ).rejects.toMatchObject({
      code: 'WRONG_EXPECTED_VERSION',
      actualRevision: 9n,
    });
    await first.append('ticket-shared', [event('Exact')], { expectedRevision: 9n });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? first : second).append('ticket-shared', [event('Racing', { i })], {
          expectedRevision: 'any',
        }),
      ),
    );
    const events = await first.readStream('ticket-shared');
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 31 }, (_, i) => BigInt(i)));
    expect(await second.verifyStream('ticket-shared')).toMatchObject({ ok: true, events: 31 });
  });

  it('appends a first event without reading the head, and still refuses a stream that exists', async () => {
    const { store: first, schema } = await makePostgresStore();
    // A second process: no cached heads, so its no-stream appends go straight to the conditional upsert.
    const second = new PostgresEventStore({ connection: pool, schema });
    stores.push(second);
    const retried = { ...event('Created'), eventId: crypto.randomUUID() };
    const created = await first.append('ticket-once', [retried], { expectedRevision: 'no-stream' });
    // The same event ids again are a retry (same result), anything else a conflict with the real head.
    expect(await second.append('ticket-once', [retried], { expectedRevision: 'no-stream' })).toEqual(created);
    await expect(
      second.append('ticket-once', [event('Other')], { expectedRevision: 'no-stream' }),
    ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actualRevision: 0n });
    // Of concurrent first appends from two processes exactly one creates the stream.
    const racing = await Promise.allSettled(
      [first, second, first, second].map((writer, i) =>
        writer.append('ticket-race', [event('First', { i })], { expectedRevision: 'no-stream' }),
      ),
    );
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const lost of racing.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(WrongExpectedVersion);
    }
    // A deleted stream stays deleted for a writer that never saw it.
    await first.deleteStream('ticket-once');
    const third = new PostgresEventStore({ connection: pool, schema });
    stores.push(third);
    await expect(
      third.append('ticket-once', [event('Again')], { expectedRevision: 'no-stream' }),
    ).rejects.toBeInstanceOf(StreamDeleted);
    expect(await second.verifyStream('ticket-race')).toMatchObject({ ok: true, events: 1 });
  });

  it('never skips an event of a transaction that commits after later ones (out-of-order commit)', async () => {
    const { store } = await makePostgresStore();
    await store.append('ticket-before', [event('Before')], { expectedRevision: 'no-stream' });
    const sub = recordSubscription((o) => store.subscribeToAll(o));
    await sub.receive(1);

    // A transaction that appends and stays open: its events take the lower global positions.
    const held = await pool.connect();
    try {
      await held.query('BEGIN');
      await store.appendWithinTransaction(held, 'ticket-early', [event('Early0'), event('Early1')], {
        expectedRevision: 'no-stream',
      });
      const { rows } = await held.query<{ state: string }>(
        `SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      expect(rows[0]?.state).toBe('active');

      // Later transactions commit while the first one is still in flight.
      await store.append('ticket-late1', [event('Late0')], { expectedRevision: 'no-stream' });
      await store.append('ticket-late2', [event('Late1'), event('Late2')], { expectedRevision: 'no-stream' });
      expect(await store.readStream('ticket-late2')).toHaveLength(2);
      const { rows: inFlight } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()`,
      );
      expect(inFlight[0]?.n).toBeGreaterThanOrEqual(1);

      // Several poll intervals and notifications later, nothing past the open transaction is delivered.
      await sleep(600);
      expect(sub.events.map((e) => e.type)).toEqual(['Before']);
      expect((await store.readAll()).map((e) => e.type)).toEqual(['Before']);

      await held.query('COMMIT');
    } finally {
      held.release();
    }

    await sub.receive(6);
    await sleep(300);
    await sub.stop();
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.type)).toEqual(['Before', 'Early0', 'Early1', 'Late0', 'Late1', 'Late2']);
    const positions = sub.events.map((e) => e.globalPosition);
    expect(new Set(positions).size).toBe(6);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect((await store.readAll()).map((e) => e.globalPosition)).toEqual(positions);
  });

  it('delivers an event held back by an older open transaction soon after it ends, not at the next poll', async () => {
    // A poll interval far longer than the test: only the held-back re-poll can deliver in time.
    const { store } = await makePostgresStore({ pollIntervalMs: 20_000 });
    const sub = recordSubscription((o) => store.subscribeToAll(o));
    await sleep(100);
    const blocker = await pool.connect();
    try {
      // An unrelated transaction with a transaction id older than the append's: the appended event
      // is committed (and notified) but not deliverable until this one ends, which notifies nobody.
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      await store.append('ticket-held', [event('Held')], { expectedRevision: 'no-stream' });
      await sleep(300);
      expect(sub.events).toEqual([]);
      await blocker.query('COMMIT');
    } finally {
      blocker.release();
    }
    const started = Date.now();
    await sub.receive(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    await sub.stop();
    expect(sub.events.map((e) => e.type)).toEqual(['Held']);
  });

  it('is not held back by a transaction of another database, and still is by one of its own', async () => {
    const { store } = await makePostgresStore({ pollIntervalMs: 50 });
    const sub = recordSubscription((o) => store.subscribeToAll(o));
    await sub.caughtUp();
    const elsewhere = await createIsolatedDatabase('event-store-other');
    const other = testPool(elsewhere.url, { max: 1 });
    const foreign = await other.connect();
    const own = await pool.connect();
    try {
      // A transaction id older than the appends', in a database that cannot write these events.
      await foreign.query('BEGIN');
      await foreign.query('SELECT pg_current_xact_id()');
      await store.append('ticket-beside', [event('Beside')], { expectedRevision: 'no-stream' });
      await sub.receive(1);
      expect(sub.events.map((e) => e.type)).toEqual(['Beside']);

      // The same in this database holds the next event back until it ends.
      await own.query('BEGIN');
      await own.query('SELECT pg_current_xact_id()');
      await store.append('ticket-behind', [event('Behind')], { expectedRevision: 'no-stream' });
      await sleep(300);
      expect(sub.events.map((e) => e.type)).toEqual(['Beside']);
      await own.query('ROLLBACK');
      await sub.receive(2);
      expect(sub.events.map((e) => e.type)).toEqual(['Beside', 'Behind']);
    } finally {
      await foreign.query('ROLLBACK').catch(() => undefined);
      foreign.release();
      own.release();
      await other.end();
      await elsewhere.drop();
    }
    await sub.stop();
    expect(sub.errors).toEqual([]);
  });

  it('keeps delivering after its LISTEN connection is terminated, and closes cleanly afterwards', async () => {
    const { store, schema } = await makePostgresStore();
    const sub = recordSubscription((o) => store.subscribeToAll(o));
    await sub.caughtUp();
    const listening = async () =>
      (
        await pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
          [`LISTEN "${schema}_events"`],
        )
      ).rows.map((row) => row.pid);
    await waitFor(async () => (await listening()).length === 1);
    const [pid] = await listening();
    // The backend ends with a FATAL error message and then the socket closes.
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(async () => !(await listening()).includes(pid!));
    await store.append('ticket-after-listener', [event('After')], { expectedRevision: 'no-stream' });
    await sub.receive(1);
    // A new listener replaces the lost one, so later appends wake the subscription again.
    await waitFor(async () => (await listening()).length === 1);
    await sub.stop();
    await store.close();
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.type)).toEqual(['After']);
  });

  it('with notifyIntervalMs, sends one NOTIFY per interval, the last after the last commit', async () => {
    const { store, schema } = await makePostgresStore({ notifyIntervalMs: 1_000 });
    // Another process's store: it learns of the commits only through NOTIFY (it would poll once a minute).
    const other = new PostgresEventStore({ connection: pool, schema, pollIntervalMs: 60_000 });
    stores.push(other);
    const sub = recordSubscription((o) => other.subscribeToAll(o));
    await sub.caughtUp();
    const listener = await pool.connect();
    const received: number[] = [];
    try {
      listener.on('notification', () => received.push(Date.now()));
      await listener.query(`LISTEN "${schema}_events"`);
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        await store.append(`ticket-notify-${i}`, [event(`N${i}`)], { expectedRevision: 'no-stream' });
      }
      // Once the appends are over: the first commit's NOTIFY, and the others' at the interval's end.
      await sub.receive(5);
      await sleep(400);
      expect(received).toHaveLength(2);
      expect(received[1]! - started).toBeGreaterThanOrEqual(900);
      expect(sub.events.map((e) => e.type)).toEqual(['N0', 'N1', 'N2', 'N3', 'N4']);
    } finally {
      await listener.query(`UNLISTEN *`).catch(() => undefined);
      listener.release();
    }
    await sub.stop();
    expect(() => new PostgresEventStore({ connection: pool, notifyIntervalMs: -1 })).toThrow(RangeError);
  });

  describe('multi-stream', () => {
    it('checks against the stored heads, not a cached head another process made stale', async () => {
      const { store: first, schema } = await makePostgresStore();
      const second = new PostgresEventStore({ connection: pool, schema });
      stores.push(second);
      // first caches ticket-stale at revision 0; second moves it to 1 behind its back.
      await first.append('ticket-stale', [event('A0')], { expectedRevision: 'no-stream' });
      await second.append('ticket-stale', [event('A1')], { expectedRevision: 0n });
      await expect(
        first.appendToStreams([
          { stream: 'ticket-other', events: [event('O0')], expectedRevision: 'no-stream' },
          { stream: 'ticket-stale', events: [event('Stale')], expectedRevision: 0n },
        ]),
      ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', stream: 'ticket-stale', actualRevision: 1n });
      const [, stale] = await first.appendToStreams([
        { stream: 'ticket-other', events: [event('O0')], expectedRevision: 'no-stream' },
        { stream: 'ticket-stale', events: [event('A2')], expectedRevision: 'any' },
      ]);
      expect(stale?.nextExpectedRevision).toBe(2n);
      // The call left first's cache at the new head: an exact single append on top of it succeeds.
      await first.append('ticket-stale', [event('A3')], { expectedRevision: 2n });
      expect((await second.readStream('ticket-stale')).map((e) => e.type)).toEqual(['A0', 'A1', 'A2', 'A3']);
      expect(await second.verifyStream('ticket-stale')).toMatchObject({ ok: true, events: 4 });
      expect((await first.readStream('ticket-other')).map((e) => e.type)).toEqual(['O0']);
    });

    it('checks again when another writer creates one of its new streams while it runs', async () => {
      const { store: first, schema } = await makePostgresStore();
      const second = new PostgresEventStore({ connection: pool, schema });
      stores.push(second);
      const createdElsewhere = async (
        call: (stream: string) => Promise<unknown>,
      ): Promise<PromiseSettledResult<unknown>> => {
        const stream = `ticket-${crypto.randomUUID()}`;
        const held: PoolClient = await pool.connect();
        try {
          await held.query('BEGIN');
          await second.appendWithinTransaction(held, stream, [event('Elsewhere')], {
            expectedRevision: 'no-stream',
          });
          // The multi-stream append does not see the uncommitted row, takes the stream for new and
          // waits on the primary key until the other transaction ends.
          const pending = Promise.allSettled([call(stream)]);
          await waitFor(async () => {
            const { rows } = await pool.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND datname = current_database()`,
            );
            return (rows[0]?.n ?? 0) > 0;
          });
          await held.query('COMMIT');
          const [outcome] = await pending;
          if (!outcome) throw new Error('no outcome');
          return outcome;
        } finally {
          held.release();
        }
      };
      const exact = await createdElsewhere((stream) =>
        first.appendToStreams([
          { stream: 'ticket-bystander', events: [event('B0')], expectedRevision: 'any' },
          { stream, events: [event('Mine')], expectedRevision: 'no-stream' },
        ]),
      );
      expect(exact).toMatchObject({
        status: 'rejected',
        reason: { code: 'WRONG_EXPECTED_VERSION', actualRevision: 0n },
      });
      await expect(first.readStream('ticket-bystander')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
      // Only new streams: the one-statement append, which waits on the primary key the same way.
      const bystander = `ticket-${crypto.randomUUID()}`;
      const allNew = await createdElsewhere((stream) =>
        first.appendToStreams([
          { stream: bystander, events: [event('B0')], expectedRevision: 'no-stream' },
          { stream, events: [event('Mine')], expectedRevision: 'no-stream' },
        ]),
      );
      expect(allNew).toMatchObject({
        status: 'rejected',
        reason: { code: 'WRONG_EXPECTED_VERSION', actualRevision: 0n },
      });
      await expect(first.readStream(bystander)).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
      let created = '';
      const any = await createdElsewhere((stream) => {
        created = stream;
        return first.appendToStreams([{ stream, events: [event('Mine')], expectedRevision: 'any' }]);
      });
      expect(any).toMatchObject({ status: 'fulfilled', value: [{ nextExpectedRevision: 1n }] });
      expect((await first.readStream(created)).map((e) => e.type)).toEqual(['Elsewhere', 'Mine']);
      expect(await first.verifyStream(created)).toMatchObject({ ok: true, events: 2 });
    });

    it('appends in one statement on heads it knows, in four when it must read them, and reads in one', async () => {
      const counted = testPool(database.url, { max: 2 });
      const statements: string[] = [];
      counted.on('connect', (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: unknown }).query = (...args: unknown[]) => {
          const [first] = args;
          const text = typeof first === 'string' ? first : (first as { text: string }).text;
          // The wake-up NOTIFY of other processes is sent after the append returns, on its own.
          if (!text.includes('pg_notify')) statements.push(text);
          return query(...args);
        };
      });
      const { store, schema } = await makePostgresStore({ connection: counted });
      const other = new PostgresEventStore({ connection: counted, schema });
      const counting = async (work: () => Promise<unknown>): Promise<number> => {
        statements.length = 0;
        await work();
        return statements.length;
      };
      try {
        await store.append('ticket-0', [event('Existing')], { expectedRevision: 'no-stream' });
        for (const count of [1, 3, 12]) {
          const streams = Array.from({ length: count }, (_, i) => `ticket-${count}-${i}`);
          // New streams, and then the heads this store wrote: nothing to read, one statement.
          const created = await counting(() =>
            store.appendToStreams(
              streams.map((stream) => ({
                stream,
                events: [event('A'), event('B')],
                expectedRevision: 'no-stream',
              })),
            ),
          );
          expect(created).toBe(1);
          const extended = await counting(() =>
            store.appendToStreams([
              ...streams.map((stream) => ({ stream, events: [event('C')], expectedRevision: 1n })),
              { stream: 'ticket-0', events: [event('D')], expectedRevision: 'any' as const },
            ]),
          );
          expect(extended).toBe(1);
          let read = new Map<string, unknown[] | undefined>();
          expect(
            await counting(
              async () => (read = await store.readStreams(streams.map((stream) => ({ stream })))),
            ),
          ).toBe(1);
          expect([...read.values()].every((events) => events?.length === 3)).toBe(true);
        }
        // A head another store never saw is locked and read first: BEGIN, heads, write, COMMIT.
        const unknown = await counting(() =>
          other.appendToStreams([
            { stream: 'ticket-1-0', events: [event('Other')], expectedRevision: 'any' },
          ]),
        );
        expect(unknown).toBe(4);
        // This store's head of that stream is stale now: the one statement writes nothing, and the
        // locked path appends on the stored head.
        const stale = await counting(() =>
          store.appendToStreams([{ stream: 'ticket-1-0', events: [event('Mine')], expectedRevision: 'any' }]),
        );
        expect(stale).toBe(5);
        expect((await store.readStream('ticket-1-0')).map((e) => e.type)).toEqual([
          'A',
          'B',
          'C',
          'Other',
          'Mine',
        ]);
        expect(await store.verifyStream('ticket-1-0')).toMatchObject({ ok: true, events: 5 });
        // Every event of a call shares its transaction id, as a single append's events do, so global
        // reads order and hold them back together.
        const { rows: perCall } = await counted.query<{ n: number }>(
          `SELECT count(DISTINCT transaction_id)::int AS n FROM "${schema}".events WHERE stream_name LIKE 'ticket-%'`,
        );
        // The first single append, two calls per count, the other store's call and the stale one.
        expect(perCall[0]?.n).toBe(9);
      } finally {
        await Promise.all([store.close(), other.close()]);
        await counted.end();
      }
    });

    it('refuses bad input before any I/O', async () => {
      const unreachable = new PostgresEventStore({ connection: 'postgresql://nobody@127.0.0.1:1/none' });
      const part = (stream: string) => ({ stream, events: [event('A')], expectedRevision: 'any' as const });
      try {
        await expect(unreachable.appendToStreams([part('ticket-1'), part('nodash')])).rejects.toBeInstanceOf(
          InvalidStreamName,
        );
        await expect(
          unreachable.appendToStreams([part('ticket-1'), part('ticket-1')]),
        ).rejects.toBeInstanceOf(InvalidArgument);
        await expect(
          unreachable.appendToStreams([part('ticket-1'), { ...part('ticket-2'), events: [] }]),
        ).rejects.toMatchObject({ code: 'INVALID_APPEND', reason: 'empty-batch' });
        await expect(
          unreachable.readStreams([{ stream: 'ticket-1' }, { stream: 'ticket-1' }]),
        ).rejects.toBeInstanceOf(InvalidArgument);
        expect(await unreachable.appendToStreams([])).toEqual([]);
        expect((await unreachable.readStreams([])).size).toBe(0);
        // Only well-formed calls reach the (unreachable) database.
        await expect(unreachable.appendToStreams([part('ticket-1')])).rejects.toBeInstanceOf(StoreFailure);
        await expect(unreachable.readStreams([{ stream: 'ticket-1' }])).rejects.toBeInstanceOf(StoreFailure);
      } finally {
        await unreachable.close();
      }
    });
  });

  /** A table the work in an append's transaction writes into, and what it holds. */
  async function sideTable(schema: string) {
    await pool.query(`CREATE TABLE "${schema}".side (event_id uuid PRIMARY KEY, position bigint NOT NULL)`);
    return async () =>
      (
        await pool.query<{ event_id: string; position: string }>(
          `SELECT event_id, position::text AS position FROM "${schema}".side ORDER BY position`,
        )
      ).rows;
  }

  /** The appends of the rolled-back cases: to a new stream and to `ticket-kept` (at revision 0). */
  const newAndKept = () => [
    { stream: 'ticket-new', events: [event('N0')], expectedRevision: 'no-stream' as const },
    { stream: 'ticket-kept', events: [event('K1')], expectedRevision: 0n },
  ];

  /**
   * {@link newAndKept} with `options` on known heads (a new stream and a cached one), then on locked
   * ones (a store without cache): what each call was refused with.
   */
  async function refusalsOnBothPaths(
    store: PostgresEventStore,
    schema: string,
    options: PostgresAppendOptions,
  ) {
    const refusals: unknown[] = [];
    for (const fresh of [true, false]) {
      const writer = fresh ? store : new PostgresEventStore({ connection: pool, schema });
      if (!fresh) stores.push(writer);
      refusals.push(
        await writer.appendToStreams(newAndKept(), options).then(
          () => 'appended',
          (e: unknown) => e,
        ),
      );
    }
    return refusals;
  }

  /** Nothing of the refused appends was written and the heads did not move: the same appends then succeed. */
  async function expectNothingWritten(
    store: PostgresEventStore,
    side: () => Promise<unknown[]>,
    options: PostgresAppendOptions,
  ) {
    expect(await side()).toEqual([]);
    expect((await store.readAll()).map((e) => e.type)).toEqual(['K0']);
    await expect(store.readStream('ticket-new')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    await store.appendToStreams(newAndKept(), options);
    expect(await store.verifyStream('ticket-kept')).toMatchObject({ ok: true, events: 2 });
    expect(await side()).toHaveLength(2);
  }

  describe('multi-stream: work inside the append transaction (withinTransaction)', () => {
    const write =
      (schema: string, seen: RecordedEvent[][]) =>
      async (recorded: readonly RecordedEvent[], client: PoolClient): Promise<void> => {
        seen.push([...recorded]);
        await client.query(`INSERT INTO "${schema}".side SELECT * FROM unnest($1::uuid[], $2::bigint[])`, [
          recorded.map((e) => e.eventId),
          recorded.map((e) => e.globalPosition.toString()),
        ]);
      };

    it('hands over the events as recorded and commits what it writes with them, on known and on locked heads', async () => {
      const { store, schema } = await makePostgresStore();
      const side = await sideTable(schema);
      const seen: RecordedEvent[][] = [];
      // New streams: the heads are known without a read (one statement inside BEGIN/COMMIT).
      await store.appendToStreams(
        [
          { stream: 'ticket-a', events: [event('A0'), event('A1')], expectedRevision: 'no-stream' },
          { stream: 'ticket-b', events: [event('B0')], expectedRevision: 'no-stream' },
        ],
        { withinTransaction: write(schema, seen) },
      );
      // Another instance has no cached heads: it takes the locked path.
      const other = new PostgresEventStore({ connection: pool, schema });
      stores.push(other);
      const [a] = await other.appendToStreams(
        [{ stream: 'ticket-a', events: [event('A2')], expectedRevision: 1n }],
        { withinTransaction: write(schema, seen) },
      );
      expect(a).toMatchObject({ nextExpectedRevision: 2n });

      const stored = await store.readAll();
      // What the work was handed is what a reader gets back, field for field.
      expect(seen.flat()).toEqual(stored);
      expect(seen.map((batch) => batch.map((e) => e.type))).toEqual([['A0', 'A1', 'B0'], ['A2']]);
      expect(await side()).toEqual(
        stored.map((e) => ({ event_id: e.eventId, position: e.globalPosition.toString() })),
      );
    });

    it('writes nothing when the work fails, rethrows its error as it is, and leaves the heads as they were', async () => {
      const { store, schema } = await makePostgresStore();
      const side = await sideTable(schema);
      await store.append('ticket-kept', [event('K0')], { expectedRevision: 'no-stream' });
      const refusal = new Error('read model refused the rows');
      const failing = async (recorded: readonly RecordedEvent[], client: PoolClient) => {
        await write(schema, [])(recorded, client);
        throw refusal;
      };
      expect(await refusalsOnBothPaths(store, schema, { withinTransaction: failing })).toEqual([
        refusal,
        refusal,
      ]);
      await expectNothingWritten(store, side, { withinTransaction: write(schema, []) });
    });

    it('is not called when an expectation fails', async () => {
      const { store } = await makePostgresStore();
      await store.append('ticket-taken', [event('T0')], { expectedRevision: 'no-stream' });
      let calls = 0;
      await expect(
        store.appendToStreams(
          [{ stream: 'ticket-taken', events: [event('T1')], expectedRevision: 'no-stream' }],
          {
            withinTransaction: () => Promise.resolve(void (calls += 1)),
          },
        ),
      ).rejects.toBeInstanceOf(WrongExpectedVersion);
      expect(calls).toBe(0);
    });
  });

  describe('multi-stream: statements sent with the COMMIT (statementsWithin)', () => {
    const rowsOf = (schema: string) => (recorded: readonly RecordedEvent[]) => [
      {
        text: `INSERT INTO "${schema}".side SELECT * FROM unnest($1::uuid[], $2::bigint[])`,
        values: [recorded.map((e) => e.eventId), recorded.map((e) => e.globalPosition.toString())],
      },
    ];

    it('commits the rows with the events, on known and on locked heads, in one round trip with the COMMIT', async () => {
      const { store, schema } = await makePostgresStore();
      const side = await sideTable(schema);
      await store.appendToStreams(
        [
          { stream: 'ticket-a', events: [event('A0'), event('A1')], expectedRevision: 'no-stream' },
          { stream: 'ticket-b', events: [event('B0')], expectedRevision: 'no-stream' },
        ],
        { statementsWithin: rowsOf(schema) },
      );
      // A store without cached heads takes the locked path; its connections' wire is watched.
      const wire: string[] = [];
      const watched = watchingWire(pool, wire);
      const other = new PostgresEventStore({ connection: watched, schema });
      stores.push(other);
      await other.appendToStreams([{ stream: 'ticket-a', events: [event('A2')], expectedRevision: 1n }], {
        statementsWithin: (recorded) => [...rowsOf(schema)(recorded), { text: 'SELECT 1' }],
      });
      const stored = await store.readAll();
      expect(await side()).toEqual(
        stored.map((e) => ({ event_id: e.eventId, position: e.globalPosition.toString() })),
      );
      // The locked path: BEGIN with the lock, the write, then the two statements and the COMMIT
      // written together, their three answers back to back (one at a time, a write between each).
      expect(wire.join(' ')).toContain('write ready ready ready');
    });

    it('writes nothing when a statement fails, and rethrows its error as it is', async () => {
      const { store, schema } = await makePostgresStore();
      const side = await sideTable(schema);
      await store.append('ticket-kept', [event('K0')], { expectedRevision: 'no-stream' });
      const failing = (recorded: readonly RecordedEvent[]) => [
        ...rowsOf(schema)(recorded),
        { text: 'SELECT 1 / 0' },
        { text: 'SELECT 2' },
      ];
      expect(await refusalsOnBothPaths(store, schema, { statementsWithin: failing })).toEqual([
        expect.objectContaining({ code: '22012' }),
        expect.objectContaining({ code: '22012' }),
      ]);
      const refusal = new Error('no statements for these');
      const throwing = () => {
        throw refusal;
      };
      expect(await refusalsOnBothPaths(store, schema, { statementsWithin: throwing })).toEqual([
        refusal,
        refusal,
      ]);
      await expectNothingWritten(store, side, { statementsWithin: rowsOf(schema) });
    });

    it('refuses both kinds of work in one call', async () => {
      const { store } = await makePostgresStore();
      await expect(
        store.appendToStreams(
          [{ stream: 'ticket-x', events: [event('X0')], expectedRevision: 'no-stream' }],
          {
            withinTransaction: () => Promise.resolve(),
            statementsWithin: () => [],
          },
        ),
      ).rejects.toBeInstanceOf(InvalidArgument);
    });
  });

  describe('tamper evidence: verifyStream over rows edited in the database', () => {
    const stream = 'ownership-t1';
    const setUp = async () => {
      const { store, schema } = await makePostgresStore();
      await store.append(
        stream,
        [0, 1, 2, 3].map((n) => event('OwnerAssigned', { owner: `a${n}` })),
        {
          expectedRevision: 'no-stream',
        },
      );
      const verified = await store.verifyStream(stream);
      expect(verified).toMatchObject({ ok: true, events: 4 });
      return { store, events: `"${schema}".events` };
    };

    it('detects an edited payload', async () => {
      const { store, events } = await setUp();
      await pool.query(`UPDATE ${events} SET data = '{"owner":"mallory"}' WHERE revision = 2`);
      expect(await store.verifyStream(stream)).toMatchObject({
        ok: false,
        brokenAt: 2n,
        reason: 'hash-mismatch',
      });
    });

    it('detects an edited metadata field', async () => {
      const { store, events } = await setUp();
      await pool.query(
        `UPDATE ${events} SET metadata = jsonb_set(metadata::jsonb, '{actor,id}', '"someone-else"')::json WHERE revision = 1`,
      );
      expect(await store.verifyStream(stream)).toMatchObject({
        ok: false,
        brokenAt: 1n,
        reason: 'hash-mismatch',
      });
    });

    it('detects a deleted event, in the middle or at the end', async () => {
      const { store, events } = await setUp();
      await pool.query(`DELETE FROM ${events} WHERE revision = 1`);
      expect(await store.verifyStream(stream)).toMatchObject({
        ok: false,
        brokenAt: 1n,
        reason: 'revision-gap',
      });
      const other = await setUp();
      await pool.query(`DELETE FROM ${other.events} WHERE revision = 3`);
      expect(await other.store.verifyStream(stream)).toMatchObject({
        ok: false,
        brokenAt: 3n,
        reason: 'revision-gap',
      });
    });

    it('detects reordered events (two rows with swapped revisions)', async () => {
      const { store, events } = await setUp();
      await pool.query(`UPDATE ${events} SET revision = -1 WHERE revision = 1`);
      await pool.query(`UPDATE ${events} SET revision = 1 WHERE revision = 2`);
      await pool.query(`UPDATE ${events} SET revision = 2 WHERE revision = -1`);
      expect(await store.verifyStream(stream)).toMatchObject({
        ok: false,
        brokenAt: 1n,
        reason: 'prev-hash-mismatch',
      });
    });
  });

  it('reads a stored v1 payload as v3 and verifies the chain over the stored bytes', async () => {
    const upcasters = new UpcasterRegistry()
      .register('HandoffRequested', 1, (data) => ({ reason: (data as { why: string }).why }))
      .register('HandoffRequested', 2, (data) => ({ ...(data as { reason: string }), priority: 'normal' }));
    const { store, schema } = await makePostgresStore({ upcasters });
    const stream = 'handoff-legacy';
    const stored = {
      streamName: stream,
      revision: 0n,
      eventId: crypto.randomUUID(),
      type: 'HandoffRequested',
      schemaVersion: 1,
      data: { why: 'billing question' },
      metadata: contractMetadata(),
    };
    const hash = computeEventHash(GENESIS_HASH, stored);
    await pool.query(
      `INSERT INTO "${schema}".events (stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash)
       VALUES ($1, 0, $2, $3, 1, $4, $5, $6, $7)`,
      [
        stream,
        stored.eventId,
        stored.type,
        JSON.stringify(stored.data),
        JSON.stringify(stored.metadata),
        GENESIS_HASH,
        hash,
      ],
    );
    await pool.query(
      `INSERT INTO "${schema}".streams (name, category, revision, last_hash) VALUES ($1, 'handoff', 0, $2)`,
      [stream, hash],
    );
    const [read] = await store.readStream(stream);
    expect(read).toMatchObject({
      schemaVersion: 3,
      data: { reason: 'billing question', priority: 'normal' },
      hash,
    });
    expect(await store.verifyStream(stream)).toEqual({ ok: true, events: 1, lastHash: hash });
    // New writes of the type default to the current version and are not upcast again.
    await store.append(stream, [event('HandoffRequested', { reason: 'again', priority: 'high' })], {
      expectedRevision: 0n,
    });
    const { rows } = await pool.query<{ schema_version: number }>(
      `SELECT schema_version FROM "${schema}".events WHERE stream_name = $1 ORDER BY revision`,
      [stream],
    );
    expect(rows.map((row) => row.schema_version)).toEqual([1, 3]);
  });

  it('translates connection failures into StoreFailure', async () => {
    const unreachable = new PostgresEventStore({ connection: 'postgresql://nobody@127.0.0.1:1/none' });
    try {
      await expect(unreachable.readAll()).rejects.toBeInstanceOf(StoreFailure);
      await expect(
        unreachable.append('ticket-1', [event('A')], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(StoreFailure);
    } finally {
      await unreachable.close();
    }
  });
});

describe('beginWith (BEGIN and the first statement of a transaction in one round trip)', () => {
  it('writes both before the first answer, and runs the statement inside the transaction', async () => {
    const client = await pool.connect();
    try {
      const seen: string[] = [];
      watchWire(client, seen);
      const { rows } = await beginWith<{ xid: string }>(client, {
        text: 'SELECT txid_current()::text AS xid',
      });
      expect(seen.indexOf('ready')).toBeGreaterThan(seen.lastIndexOf('write'));
      expect(seen.filter((s) => s === 'ready')).toHaveLength(2);
      // The same transaction afterwards: the statement ran after BEGIN, not before it.
      const again = await client.query<{ xid: string }>('SELECT txid_current()::text AS xid');
      expect(again.rows[0]?.xid).toBe(rows[0]?.xid);
      expect((client as unknown as { pipeline: boolean }).pipeline).toBe(false);
      await client.query('ROLLBACK');
      // Back to one query at a time: queries issued together are answered in order.
      const [one, two] = await Promise.all([
        client.query<{ n: number }>('SELECT 1 AS n'),
        client.query<{ n: number }>('SELECT 2 AS n'),
      ]);
      expect([one.rows[0]?.n, two.rows[0]?.n]).toEqual([1, 2]);
    } finally {
      client.release();
    }
  });

  it('leaves the transaction aborted when the statement fails, and the client usable after ROLLBACK', async () => {
    const client = await pool.connect();
    try {
      await expect(beginWith(client, { text: 'SELECT 1 / 0' })).rejects.toMatchObject({ code: '22012' });
      expect((client as unknown as { pipeline: boolean }).pipeline).toBe(false);
      await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await client.query('ROLLBACK');
      expect((await client.query<{ n: number }>('SELECT 3 AS n')).rows[0]?.n).toBe(3);
    } finally {
      client.release();
    }
  });
});

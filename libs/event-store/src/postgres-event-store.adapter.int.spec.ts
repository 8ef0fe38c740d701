import crypto from 'node:crypto';
import { Pool } from 'pg';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import { StoreFailure } from './errors';
import {
  contractMetadata,
  eventStoreContract,
  recordSubscription,
  type ContractStoreOptions,
} from './event-store.contract';
import type { NewEvent } from './event-store.port';
import { computeEventHash, GENESIS_HASH } from './hash-chain';
import { PostgresEventStore } from './postgres-event-store.adapter';
import { UpcasterRegistry } from './upcasters';

let database: IsolatedDatabase;
let pool: Pool;
const stores: PostgresEventStore[] = [];

beforeAll(async () => {
  database = await createIsolatedDatabase('event-store');
  pool = new Pool({ connectionString: database.url, max: 12 });
  // A server-side end of an idle pooled connection is not a test failure: the next query reports it.
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await pool?.end();
  await database?.drop();
});

/** A store in a schema of its own, so global reads see only one test's events. */
async function makePostgresStore(options: ContractStoreOptions & { pollIntervalMs?: number } = {}) {
  const schema = `es_${crypto.randomBytes(5).toString('hex')}`;
  const store = new PostgresEventStore({ connection: pool, schema, pollIntervalMs: 100, ...options });
  await store.init();
  stores.push(store);
  return { store, schema };
}

eventStoreContract('PostgreSQL', async (options) => (await makePostgresStore(options)).store);

const event = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata: contractMetadata() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL adapter', () => {
  it('migrates idempotently and records the schema version', async () => {
    const { store, schema } = await makePostgresStore();
    await store.init();
    await Promise.all([store.init(), new PostgresEventStore({ connection: pool, schema }).init()]);
    const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows).toEqual([{ version: 1 }]);
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
        `UPDATE ${events} SET metadata = jsonb_set(metadata, '{actor,id}', '"someone-else"') WHERE revision = 1`,
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

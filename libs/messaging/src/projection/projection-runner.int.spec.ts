import { type Pool, type PoolClient } from 'pg';
import { PostgresEventStore, type RecordedEvent } from '@handoff/event-store';
import { createIsolatedDatabase, type IsolatedDatabase, testPool } from '@handoff/testing';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';

let database: IsolatedDatabase;
let pool: Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createIsolatedDatabase('projection');
  pool = testPool(database.url, { max: 6 });
  store = new PostgresEventStore({ connection: pool, schema: 'projection_events', pollIntervalMs: 50 });
  await store.init();
  await pool.query('CREATE SCHEMA read_model');
  await pool.query('CREATE TABLE read_model.counts (stream text PRIMARY KEY, n int NOT NULL)');
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await database?.drop();
});

const count = async (client: PoolClient | Pool, stream: string): Promise<number | undefined> => {
  const { rows } = await client.query<{ n: number }>('SELECT n FROM read_model.counts WHERE stream = $1', [
    stream,
  ]);
  return rows[0]?.n;
};

const increment = async (event: RecordedEvent, tx: PoolClient): Promise<void> => {
  await tx.query(
    `INSERT INTO read_model.counts (stream, n) VALUES ($1, 1)
     ON CONFLICT (stream) DO UPDATE SET n = read_model.counts.n + 1`,
    [event.streamName],
  );
};

const append = (stream: string, n: number) =>
  store.append(
    stream,
    Array.from({ length: n }, (_, i) => ({
      type: 'Counted',
      data: { i },
      metadata: {
        tenantId: 't1',
        correlationId: 'c1',
        actor: { kind: 'system' as const, id: 'spec' },
        occurredAt: new Date().toISOString(),
      },
    })),
    { expectedRevision: 'any' },
  );

const runner = (name: string, apply = increment, extra: Partial<ProjectionRunnerOptions> = {}) =>
  new ProjectionRunner({
    name,
    store,
    categories: ['counter'],
    pool,
    schema: 'read_model',
    apply,
    backoff: { initialMs: 20, maxMs: 100 },
    ...extra,
  });

describe('ProjectionRunner', () => {
  it('applies each event of its categories once, also across a restart, and ignores other categories', async () => {
    const first = runner('counts');
    await first.init();
    await first.init(); // idempotent
    await append('counter-a', 3);
    await append('other-a', 2);
    await first.start();
    const written = await append('counter-a', 2);
    await first.waitFor(written.position);
    expect(await count(pool, 'counter-a')).toBe(5);
    await first.stop();

    // Restarted from the committed checkpoint: nothing is applied twice, new events are applied.
    const second = runner('counts');
    const more = await append('counter-a', 1);
    await second.start();
    await second.waitFor(more.position);
    expect(await count(pool, 'counter-a')).toBe(6);
    expect(await count(pool, 'other-a')).toBeUndefined();
    await second.stop();
  });

  it('rolls back a failing event with its checkpoint and retries it until it applies', async () => {
    let failuresLeft = 2;
    const errors: unknown[] = [];
    const flaky = new ProjectionRunner({
      name: 'flaky',
      store,
      categories: ['counter'],
      pool,
      schema: 'read_model',
      backoff: { initialMs: 10, maxMs: 50 },
      onError: (error) => errors.push(error),
      apply: async (event, tx) => {
        if (event.streamName !== 'counter-flaky') return;
        await increment(event, tx);
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('read model unavailable');
        }
      },
    });
    await flaky.init();
    const written = await append('counter-flaky', 1);
    await flaky.start();
    await flaky.waitFor(written.position);
    // Two failed attempts wrote nothing: their increments rolled back with the checkpoint.
    expect(await count(pool, 'counter-flaky')).toBe(1);
    expect(errors).toHaveLength(2);
    await flaky.stop();
  });

  it('commits the events of one append in one transaction, so readers never see half of it', async () => {
    const transactions: number[] = [];
    const grouped = runner('grouped', async (event, tx) => {
      if (event.streamName !== 'counter-grouped') return;
      await increment(event, tx);
      const { rows } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
      transactions.push(Number(rows[0]?.xid));
    });
    await grouped.init();
    await grouped.start();
    const written = await append('counter-grouped', 3);
    await grouped.waitFor(written.position);
    expect(transactions).toHaveLength(3);
    expect(new Set(transactions).size).toBe(1);
    expect(await count(pool, 'counter-grouped')).toBe(3);
    await grouped.stop();
  });

  it('skips what `skip` says is written already, yet moves the checkpoint over it and releases its waiters', async () => {
    const asked = new Map<string, number>();
    const writtenAlready = new Set<bigint>();
    const skipping = runner(
      'skipping',
      async (event, tx) => {
        if (event.streamName === 'counter-skipped') await increment(event, tx);
      },
      {
        skip: (event) => {
          asked.set(event.eventId, (asked.get(event.eventId) ?? 0) + 1);
          return writtenAlready.delete(event.globalPosition);
        },
      },
    );
    await skipping.init();
    // Appended before the runner starts, their rows "written" by the appender: all skipped.
    const first = await append('counter-skipped', 3);
    for (const event of await store.readStream('counter-skipped')) writtenAlready.add(event.globalPosition);
    await skipping.start();
    await skipping.waitFor(first.position);
    expect(await count(pool, 'counter-skipped')).toBeUndefined();
    expect(writtenAlready.size).toBe(0);
    const checkpoint = async () =>
      (
        await pool.query<{ position: string }>(
          `SELECT position::text AS position FROM read_model.projection_checkpoints WHERE name = 'skipping'`,
        )
      ).rows[0]?.position;
    expect(await checkpoint()).toBe(first.position.toString());
    // Not written by anyone else: applied as usual.
    const second = await append('counter-skipped', 2);
    await skipping.waitFor(second.position);
    expect(await count(pool, 'counter-skipped')).toBe(2);
    expect(await checkpoint()).toBe(second.position.toString());
    // Asked once per event of the stream.
    const ids = (await store.readStream('counter-skipped')).map((e) => e.eventId);
    expect(ids.map((id) => asked.get(id))).toEqual([1, 1, 1, 1, 1]);
    await skipping.stop();
  });

  it('saves the checkpoint of skipped-only batches at most once per interval, and at stop', async () => {
    const checkpoint = async () =>
      (
        await pool.query<{ position: string }>(
          `SELECT position::text AS position FROM read_model.projection_checkpoints WHERE name = 'lazy'`,
        )
      ).rows[0]?.position;
    // The rows of `counter-inline` count as written by their appender: always skipped.
    const lazy = runner('lazy', increment, {
      skip: (event) => event.streamName === 'counter-inline',
      skippedCheckpointIntervalMs: 60_000,
    });
    await lazy.init();
    await lazy.start();
    // Catching up applies (among earlier tests' events) this one, and saves with it.
    const first = await append('counter-applied', 1);
    await lazy.waitFor(first.position);
    expect(await checkpoint()).toBe(first.position.toString());
    // Skipped within the interval: the position moves in memory only (waiters are released).
    const second = await append('counter-inline', 2);
    await lazy.waitFor(second.position);
    expect(lazy.checkpoint()).toBe(second.position);
    expect(await checkpoint()).toBe(first.position.toString());
    // An applied batch saves its own position with its rows.
    const applied = await append('counter-applied', 1);
    await lazy.waitFor(applied.position);
    expect(await checkpoint()).toBe(applied.position.toString());
    expect(await count(pool, 'counter-applied')).toBe(2);
    expect(await count(pool, 'counter-inline')).toBeUndefined();
    // Skipped again, then stopped: stop saves the position.
    const last = await append('counter-inline', 1);
    await lazy.waitFor(last.position);
    expect(await checkpoint()).toBe(applied.position.toString());
    await lazy.stop();
    expect(await checkpoint()).toBe(last.position.toString());
  });

  it('with coalesceMs, writes the rows nobody waits for at the interval, and at once for a waiter', async () => {
    const slow = runner('coalescing', increment, { coalesceMs: 60_000 });
    await slow.init();
    await slow.start();
    // Within the interval of the catch-up read, but a waiter has it read at once.
    const first = await append('counter-coalesced', 1);
    await slow.waitFor(first.position);
    expect(await count(pool, 'counter-coalesced')).toBe(1);
    // Within the interval again, and no waiter: not read yet.
    const second = await append('counter-coalesced', 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slow.checkpoint()).toBe(first.position);
    expect(await count(pool, 'counter-coalesced')).toBe(1);
    // A waiter does not wait for the interval (60 s; waitFor gives up after 5 s).
    await slow.waitFor(second.position, 5_000);
    expect(await count(pool, 'counter-coalesced')).toBe(3);
    await slow.stop();
  });

  it('waitFor rejects with the projection name when the position never arrives', async () => {
    const idle = runner('idle');
    await idle.init();
    await idle.start();
    await expect(idle.waitFor(10n ** 15n, 200)).rejects.toThrow(/projection idle did not reach position/);
    await idle.stop();
  });
});

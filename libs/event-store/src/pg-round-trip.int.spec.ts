import type { Writable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { createIsolatedDatabase, type IsolatedDatabase, testPool } from '@handoff/testing';
import { answeredInOneRoundTrip, inOneRoundTrip } from './pg-round-trip';

let database: IsolatedDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createIsolatedDatabase('pg-round-trip');
  pool = testPool(database.url, { max: 2 });
  await pool.query('CREATE TABLE items (id int PRIMARY KEY)');
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** How many times the client's socket hands data to the system while `run` runs. */
async function socketWrites<T>(
  client: PoolClient,
  run: () => Promise<T>,
): Promise<{ writes: number; result: T }> {
  const socket = (client as unknown as { connection: { stream: Writable } }).connection.stream;
  const writable = socket as Writable & {
    _write: Writable['_write'];
    _writev?: NonNullable<Writable['_writev']>;
  };
  const write = writable._write;
  const writev = writable._writev;
  let writes = 0;
  writable._write = function (...args: Parameters<Writable['_write']>) {
    writes += 1;
    return write.apply(this, args);
  };
  if (writev) {
    writable._writev = function (...args: Parameters<NonNullable<Writable['_writev']>>) {
      writes += 1;
      return writev.apply(this, args);
    };
  }
  try {
    const result = await run();
    return { writes, result };
  } finally {
    writable._write = write;
    if (writev) writable._writev = writev;
  }
}

describe('inOneRoundTrip', () => {
  it('writes every query of the round trip to the socket at once', async () => {
    const client = await pool.connect();
    try {
      const { writes, result } = await socketWrites(client, () =>
        answeredInOneRoundTrip(client, [
          { text: 'SELECT $1::int AS n', values: [1] },
          { text: 'SELECT $1::int AS n', values: [2] },
          { text: 'SELECT $1::int AS n', values: [3] },
        ]),
      );
      expect(result.map((answer) => (answer.rows[0] as { n: number }).n)).toEqual([1, 2, 3]);
      expect(writes).toBe(1);
      // One at a time, the same queries take a write each: the count above is not a given.
      const oneByOne = await socketWrites(client, async () => {
        for (const n of [1, 2, 3]) await client.query('SELECT $1::int AS n', [n]);
      });
      expect(oneByOne.writes).toBe(3);
    } finally {
      client.release();
    }
  });

  it('answers each query on its own, in order, and leaves the client out of pipeline mode', async () => {
    const client = await pool.connect();
    try {
      const outcomes = await inOneRoundTrip(client, [
        { text: 'INSERT INTO items (id) VALUES (1)' },
        { text: 'INSERT INTO items (id) VALUES (1)' },
        { text: 'SELECT count(*)::int AS n FROM items' },
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
      expect((outcomes[2] as PromiseFulfilledResult<{ rows: { n: number }[] }>).value.rows[0]?.n).toBe(1);
      expect((client as unknown as { pipeline: boolean }).pipeline).toBe(false);
      // The connection takes ordinary queries afterwards.
      await expect(client.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      client.release();
    }
  });

  it('inside a transaction, a failure aborts the queries after it and the COMMIT rolls back', async () => {
    const client = await pool.connect();
    try {
      const outcomes = await inOneRoundTrip(client, [
        { text: 'BEGIN' },
        { text: 'INSERT INTO items (id) VALUES (10)' },
        { text: 'INSERT INTO items (id) VALUES (1)' },
        { text: 'INSERT INTO items (id) VALUES (11)' },
        { text: 'COMMIT' },
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      expect((outcomes[4] as PromiseFulfilledResult<{ command: string }>).value.command).toBe('ROLLBACK');
      const { rows } = await client.query<{ id: number }>('SELECT id FROM items ORDER BY id');
      expect(rows.map((row) => row.id)).toEqual([1]);
    } finally {
      client.release();
    }
  });
});

import { createIsolatedDatabase, type IsolatedDatabase, testPool, watchingWire } from '@handoff/testing';
import type { Pool } from 'pg';
import type { ReadUnderLocks } from './conversations.ports';
import { PostgresCustomerLocks } from './customer-locks.pg';

// Customer locks on a real PostgreSQL: what a read taken with the locks sees, and how it travels.
let db: IsolatedDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createIsolatedDatabase('customer_locks');
  pool = testPool(db.url, { max: 6 });
  await pool.query('CREATE TABLE facts (key text NOT NULL, n int NOT NULL)');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many facts a key has, as a read under its lock. */
const factsOf = (key: string): ReadUnderLocks<number> => ({
  text: 'SELECT count(*)::int AS n FROM facts WHERE key = $1',
  values: [key],
  answer: (rows) => Number(rows[0]?.['n']),
});

describe('PostgresCustomerLocks.withLocksThenRead', () => {
  it('reads what the previous holder committed while it held the lock, never before it unlocked', async () => {
    const locks = new PostgresCustomerLocks(pool);
    const key = 'tenant/customer/a';
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const first = locks.withLocks([key], async () => {
      holding();
      await sleep(150);
      await pool.query('INSERT INTO facts VALUES ($1, 1)', [key]);
    });
    await held;
    const seen = await locks.withLocksThenRead([key], factsOf(key), (facts) => Promise.resolve(facts));
    await first;
    expect(seen).toBe(1);
  });

  it('sends the read with the lock request: both written before either is answered', async () => {
    const seen: string[] = [];
    const watched = watchingWire(pool, seen);
    const locks = new PostgresCustomerLocks(watched);
    const answer = await locks.withLocksThenRead(
      ['tenant/customer/b', 'tenant/customer/c'],
      factsOf('x'),
      (n) => Promise.resolve(n),
    );
    expect(answer).toBe(0);
    // Both queries written (pg writes each of their protocol messages) before the first answer: the
    // two answers come back to back, with nothing written in between.
    const first = seen.indexOf('ready');
    expect(first).toBeGreaterThan(1);
    expect(seen.slice(first, first + 2)).toEqual(['ready', 'ready']);
  });

  it('does not run the work when the read fails, and releases the locks', async () => {
    const locks = new PostgresCustomerLocks(pool);
    const key = 'tenant/customer/d';
    const work = jest.fn(() => Promise.resolve('ran'));
    const broken: ReadUnderLocks<number> = { text: 'SELECT 1 / 0', values: [], answer: () => 1 };
    await expect(locks.withLocksThenRead([key], broken, work)).rejects.toMatchObject({ code: '22012' });
    expect(work).not.toHaveBeenCalled();
    // The lock is free again: another holder gets it at once.
    const started = Date.now();
    await expect(locks.withLocksThenRead([key], factsOf(key), () => Promise.resolve('again'))).resolves.toBe(
      'again',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads on the pool when there is nothing to lock', async () => {
    const locks = new PostgresCustomerLocks(pool);
    await pool.query("INSERT INTO facts VALUES ('tenant/customer/e', 1), ('tenant/customer/e', 2)");
    await expect(
      locks.withLocksThenRead([], factsOf('tenant/customer/e'), (n) => Promise.resolve(n)),
    ).resolves.toBe(2);
  });
});

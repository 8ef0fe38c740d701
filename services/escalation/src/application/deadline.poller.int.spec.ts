import { DomainError, openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { DataSource } from 'typeorm';
import { ESCALATION_ENTITIES } from '../projections/escalation.entities';
import { ESCALATION_MIGRATIONS } from '../projections/escalation.migrations';
import { DeadlinePoller, type DeadlineRecord } from './deadline.poller';

let db: IsolatedDatabase;
let dataSource: DataSource;
const clock = { now: () => new Date() };
const log = { warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  db = await createIsolatedDatabase('escalation_deadlines');
  dataSource = await openReadModelDataSource({
    url: db.url,
    schema: 'escalation',
    entities: ESCALATION_ENTITIES,
    migrations: ESCALATION_MIGRATIONS,
  });
});

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

beforeEach(() => dataSource.query('TRUNCATE escalation.deadlines'));

async function insertDue(count: number, kind = 'progress', dueInMs = -1000): Promise<void> {
  await dataSource.query(
    `INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
     SELECT 't', 'h-' || n, $2, 'r-' || n, now() + ($3 || ' milliseconds')::interval, '{}'::jsonb
       FROM generate_series(1, $1) AS n`,
    [count, kind, String(dueInMs)],
  );
}

const until = async (check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const unfired = async () => {
  const rows = await dataSource.query<{ n: string }[]>(
    `SELECT count(*) AS n FROM escalation.deadlines WHERE fired_at IS NULL`,
  );
  return Number(rows[0]?.n);
};

describe('deadline poller (PostgreSQL)', () => {
  it('fires every due deadline exactly once with two pollers competing (FOR UPDATE SKIP LOCKED)', async () => {
    await insertDue(300);
    const handled: string[] = [];
    const handle = async (d: DeadlineRecord) => {
      handled.push(d.ref);
      await new Promise((resolve) => setTimeout(resolve, 1));
    };
    const pollers = [1, 2].map(
      () =>
        new DeadlinePoller({ pool: poolOf(dataSource), clock, handle, intervalMs: 20, batchSize: 25, log }),
    );
    pollers.forEach((p) => p.start());
    await until(async () => (await unfired()) === 0);
    await Promise.all(pollers.map((p) => p.stop()));
    expect(handled).toHaveLength(300);
    expect(new Set(handled).size).toBe(300);
  });

  it('leaves deadlines that are not due yet', async () => {
    await insertDue(5, 'acceptance', 60_000);
    const handled: string[] = [];
    const poller = new DeadlinePoller({
      pool: poolOf(dataSource),
      clock,
      handle: (d) => Promise.resolve(void handled.push(d.ref)),
      intervalMs: 20,
      log,
    });
    expect(await poller.pollOnce(50)).toBe(0);
    expect(handled).toEqual([]);
    expect(await unfired()).toBe(5);
  });

  it('retries a failing deadline later and does not retry a business refusal', async () => {
    await insertDue(2);
    let calls = 0;
    const handle = (d: DeadlineRecord) => {
      calls += 1;
      if (d.ref === 'r-1' && calls <= 2) return Promise.reject(new Error('database hiccup'));
      if (d.ref === 'r-2')
        return Promise.reject(new DomainError('ticket-not-found', 'not-found', 'no ticket'));
      return Promise.resolve();
    };
    const poller = new DeadlinePoller({ pool: poolOf(dataSource), clock, handle, intervalMs: 20, log });
    await poller.pollOnce(10);
    const rows: { ref: string; fired_at: Date | null; attempts: number; last_error: string | null }[] =
      await dataSource.query(
        `SELECT ref, fired_at, attempts, last_error FROM escalation.deadlines ORDER BY ref`,
      );
    expect(rows[0]).toMatchObject({ ref: 'r-1', fired_at: null, attempts: 1, last_error: 'database hiccup' });
    expect(rows[1]).toMatchObject({ ref: 'r-2', attempts: 1, last_error: 'no ticket' });
    expect(rows[1]?.fired_at).not.toBeNull();
    // The retry is scheduled in the future: an immediate poll does not take it.
    expect(await poller.pollOnce(10)).toBe(0);
  });

  it('a crash before commit leaves the deadline to fire again (the command itself is idempotent)', async () => {
    await insertDue(1);
    const failing = new DeadlinePoller({
      pool: poolOf(dataSource),
      clock,
      handle: () => Promise.resolve(),
      intervalMs: 20,
      log,
      // Simulates the process dying after the handler ran, before the row was marked fired.
      onFired: () => {
        throw new Error('crash');
      },
    });
    await expect(failing.pollOnce(10)).rejects.toThrow('crash');
    expect(await unfired()).toBe(1);
    const handled: string[] = [];
    const poller = new DeadlinePoller({
      pool: poolOf(dataSource),
      clock,
      handle: (d) => Promise.resolve(void handled.push(d.ref)),
      intervalMs: 20,
      log,
    });
    expect(await poller.pollOnce(10)).toBe(1);
    expect(handled).toEqual(['r-1']);
    expect(await unfired()).toBe(0);
  });
});

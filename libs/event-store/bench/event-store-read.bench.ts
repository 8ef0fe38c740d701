import QueryStream from 'pg-query-stream';
import { PostgresEventStore } from '../src';
import { defineBenchmark, elapsedMs, inParallel, percentiles, testPool } from '@handoff/testing';
import { handoffEvent } from './fixtures';

const EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 1_000_000);
const PER_STREAM = 1_000;
const BATCH = 500;
const PAGE = 1_000;
const ROUNDS = 2;

/**
 * `readAll` paging and a catch-up subscription over the whole store, against a streamed plain
 * SELECT of the same table in global order (pg-query-stream, same page size).
 */
export default defineBenchmark({
  name: 'event-store-read',
  description: `readAll and a catch-up subscription over ${EVENTS.toLocaleString('en')} events vs a streamed plain SELECT`,
  needs: ['postgres'],
  async run(ctx) {
    const db = await ctx.createDatabase('read');
    const pool = testPool(db.url, { max: 8 });
    const store = new PostgresEventStore({ connection: pool });
    await store.init();

    const seedMs = await elapsedMs(() =>
      inParallel(EVENTS / PER_STREAM, 4, async (s) => {
        for (let from = 0; from < PER_STREAM; from += BATCH) {
          const events = Array.from({ length: BATCH }, (_, i) => handoffEvent(`r${s}`, from + i));
          await store.append(`ticket-${s}`, events, {
            expectedRevision: from === 0 ? 'no-stream' : BigInt(from - 1),
          });
        }
      }),
    );
    ctx.log(`seeded ${EVENTS} events in ${Math.round(seedMs)} ms`);
    await pool.query('VACUUM ANALYZE event_store.events');

    const plain = async () => {
      const client = await pool.connect();
      let count = 0;
      try {
        const stream = client.query(
          new QueryStream('SELECT * FROM event_store.events ORDER BY global_position', [], {
            batchSize: PAGE,
          }),
        );
        for await (const row of stream as AsyncIterable<{ global_position: string }>) {
          if (row.global_position) count += 1;
        }
      } finally {
        client.release();
      }
      if (count !== EVENTS) throw new Error(`plain SELECT read ${count} rows`);
    };
    const readAll = async () => {
      let count = 0;
      let fromPosition = 0n;
      for (;;) {
        const page = await store.readAll({ fromPosition, maxCount: PAGE });
        const last = page[page.length - 1];
        if (!last) break;
        count += page.length;
        fromPosition = last.globalPosition;
      }
      if (count !== EVENTS) throw new Error(`readAll read ${count} events`);
    };
    const subscription = () =>
      new Promise<void>((resolve, reject) => {
        let count = 0;
        const sub = store.subscribeToAll({
          onEvent: () => {
            count += 1;
          },
          onError: reject,
          onCaughtUp: () => {
            void sub
              .stop()
              .then(() =>
                count === EVENTS ? resolve() : reject(new Error(`subscription delivered ${count}`)),
              );
          },
        });
      });

    const times: Record<'plain' | 'readAll' | 'subscription', number[]> = {
      plain: [],
      readAll: [],
      subscription: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order =
        round % 2 === 0
          ? (['plain', 'readAll', 'subscription'] as const)
          : (['subscription', 'readAll', 'plain'] as const);
      for (const side of order) {
        const work = side === 'plain' ? plain : side === 'readAll' ? readAll : subscription;
        times[side].push(await elapsedMs(work));
      }
    }
    const rate = (ms: number[]) => EVENTS / (percentiles(ms).median / 1000);
    for (const side of ['readAll', 'subscription'] as const) {
      ctx.record({
        metric: side === 'readAll' ? `readAll, pages of ${PAGE}` : 'catch-up subscription to $all',
        unit: 'events/s',
        value: rate(times[side]),
        baseline: rate(times.plain),
        higherIsBetter: true,
        targetRatio: 0.5,
        note: `${EVENTS} events, median of ${ROUNDS} rounds in alternating order; baseline: streamed plain SELECT ordered by position`,
      });
    }
    await store.close();
    await pool.end();
  },
});

import crypto from 'node:crypto';
import { type Pool } from 'pg';
import { PostgresEventStore, uuidV7 } from '../src';
import { defineBenchmark, elapsedMs, inParallel, percentiles, testPool } from '@handoff/testing';
import { BASELINE_TABLE_SQL, handoffEvent } from './fixtures';

const STREAMS = 32;
const SINGLE_APPENDS_PER_STREAM = 100;
const BATCHES_PER_STREAM = 10;
const BATCH = 100;
const ROUNDS = 3;

/**
 * PostgreSQL adapter appends against plain `pg` INSERTs of the same rows into an equivalent table
 * (unique (stream, revision) index), same concurrency: 32 distinct streams written at once.
 */
export default defineBenchmark({
  name: 'event-store-append',
  description: `appends on ${STREAMS} concurrent streams: 1-event appends and ${BATCH}-event batches vs plain pg INSERTs`,
  needs: ['postgres'],
  async run(ctx) {
    const db = await ctx.createDatabase('append');
    const pool = testPool(db.url, { max: STREAMS });
    const store = new PostgresEventStore({ connection: pool });
    await store.init();
    await pool.query(BASELINE_TABLE_SQL);
    const fakeHash = crypto.createHash('sha256').update('x').digest('hex');

    // Warm-up of both paths (connections, plans), outside the measurement.
    await inParallel(STREAMS, STREAMS, (s) =>
      store.append(`warm-${s}`, [handoffEvent(`w${s}`, 0)], { expectedRevision: 'any' }),
    );
    await inParallel(STREAMS, STREAMS, (s) => insertPlain(pool, `warm-${s}`, 0, 1, fakeHash));

    // Rounds alternate which side goes first, so neither profits from a warmer server; the
    // median round of each side is reported.
    const singles = STREAMS * SINGLE_APPENDS_PER_STREAM;
    const single = await alternate(
      (round) =>
        inParallel(STREAMS, STREAMS, async (s) => {
          for (let i = 0; i < SINGLE_APPENDS_PER_STREAM; i++) {
            await store.append(`single-${round}-${s}`, [handoffEvent(`t${s}`, i)], {
              expectedRevision: i === 0 ? 'no-stream' : BigInt(i - 1),
            });
          }
        }),
      (round) =>
        inParallel(STREAMS, STREAMS, async (s) => {
          for (let i = 0; i < SINGLE_APPENDS_PER_STREAM; i++)
            await insertPlain(pool, `single-${round}-${s}`, i, 1, fakeHash);
        }),
    );
    ctx.record({
      metric: '1-event appends, 32 streams',
      unit: 'events/s',
      value: singles / (single.storeMs / 1000),
      baseline: singles / (single.plainMs / 1000),
      higherIsBetter: true,
      targetRatio: 0.6,
      note: `${singles} appends per round, median of ${ROUNDS} alternating rounds; baseline: one plain INSERT per transaction, same rows, same concurrency`,
    });

    const batched = STREAMS * BATCHES_PER_STREAM * BATCH;
    const batch = await alternate(
      (round) =>
        inParallel(STREAMS, STREAMS, async (s) => {
          for (let b = 0; b < BATCHES_PER_STREAM; b++) {
            const events = Array.from({ length: BATCH }, (_, i) => handoffEvent(`b${s}`, b * BATCH + i));
            await store.append(`batch-${round}-${s}`, events, {
              expectedRevision: b === 0 ? 'no-stream' : BigInt(b * BATCH - 1),
            });
          }
        }),
      (round) =>
        inParallel(STREAMS, STREAMS, async (s) => {
          for (let b = 0; b < BATCHES_PER_STREAM; b++)
            await insertPlain(pool, `batch-${round}-${s}`, b * BATCH, BATCH, fakeHash);
        }),
    );
    ctx.record({
      metric: `${BATCH}-event batches, 32 streams`,
      unit: 'events/s',
      value: batched / (batch.storeMs / 1000),
      baseline: batched / (batch.plainMs / 1000),
      higherIsBetter: true,
      targetRatio: 0.6,
      note: `${batched} events per round, median of ${ROUNDS} alternating rounds; baseline: one multi-row INSERT per batch`,
    });
    await store.close();
    await pool.end();
  },
});

/** Runs both sides ROUNDS times, alternating which goes first; the median duration of each. */
async function alternate(
  storeSide: (round: number) => Promise<void>,
  plainSide: (round: number) => Promise<void>,
): Promise<{ storeMs: number; plainMs: number }> {
  const storeMs: number[] = [];
  const plainMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      storeMs.push(await elapsedMs(() => storeSide(round)));
      plainMs.push(await elapsedMs(() => plainSide(round)));
    } else {
      plainMs.push(await elapsedMs(() => plainSide(round)));
      storeMs.push(await elapsedMs(() => storeSide(round)));
    }
  }
  return { storeMs: percentiles(storeMs).median, plainMs: percentiles(plainMs).median };
}

/** `count` rows of stream `stream` from `revision` in one INSERT statement (its own transaction). */
async function insertPlain(
  pool: Pool,
  stream: string,
  revision: number,
  count: number,
  hash: string,
): Promise<void> {
  const values: unknown[] = [];
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = handoffEvent(stream, revision + i);
    const o = values.length;
    rows.push(`($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, 1, $${o + 5}, $${o + 6}, $${o + 7}, $${o + 8})`);
    values.push(
      stream,
      revision + i,
      uuidV7(),
      e.type,
      JSON.stringify(e.data),
      JSON.stringify(e.metadata),
      hash,
      hash,
    );
  }
  await pool.query(
    `INSERT INTO baseline_events (stream_name, revision, event_id, type, schema_version, data, metadata, prev_hash, hash) VALUES ${rows.join(',')}`,
    values,
  );
}

import crypto from 'node:crypto';
import { canonicalJson, PostgresEventStore } from '../src';
import { defineBenchmark, elapsedMs, percentiles, testPool } from '@handoff/testing';
import { handoffEvent } from './fixtures';

const EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 100_000);
const BATCH = 1_000;
const ROUNDS = 3;

/**
 * verifyStream over one long stream, against the ceiling: SHA-256 of the same canonical bytes in a
 * loop (no database, no parsing, no JSON canonicalisation).
 */
export default defineBenchmark({
  name: 'verify-stream',
  description: `verifyStream over a ${EVENTS.toLocaleString('en')}-event stream vs SHA-256 of the same bytes in a loop`,
  needs: ['postgres'],
  async run(ctx) {
    const db = await ctx.createDatabase('verify');
    const pool = testPool(db.url, { max: 4 });
    const store = new PostgresEventStore({ connection: pool });
    await store.init();
    for (let from = 0; from < EVENTS; from += BATCH) {
      const events = Array.from({ length: BATCH }, (_, i) => handoffEvent('long', from + i));
      await store.append('ticket-long', events, {
        expectedRevision: from === 0 ? 'no-stream' : BigInt(from - 1),
      });
    }

    // The exact bytes the chain hashes, computed once outside the measurement.
    const stored = await store.readStream('ticket-long');
    const bytes = stored.map((e) =>
      Buffer.from(
        canonicalJson({
          prevHash: e.prevHash,
          streamName: e.streamName,
          revision: e.revision.toString(),
          eventId: e.eventId,
          type: e.type,
          schemaVersion: e.schemaVersion,
          data: e.data,
          metadata: e.metadata,
        }),
        'utf8',
      ),
    );

    const verifyMs: number[] = [];
    const shaMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      verifyMs.push(
        await elapsedMs(async () => {
          const result = await store.verifyStream('ticket-long');
          if (!result.ok || result.events !== EVENTS)
            throw new Error(`verifyStream: ${JSON.stringify(result)}`);
        }),
      );
      shaMs.push(
        await elapsedMs(() => {
          for (const b of bytes) crypto.createHash('sha256').update(b).digest('hex');
          return Promise.resolve();
        }),
      );
    }
    const rate = (ms: number[]) => EVENTS / (percentiles(ms).median / 1000);
    ctx.record({
      metric: 'verifyStream',
      unit: 'events/s',
      value: rate(verifyMs),
      baseline: rate(shaMs),
      higherIsBetter: true,
      note: `${EVENTS} events of ~${Math.round(bytes.reduce((n, b) => n + b.length, 0) / EVENTS)} canonical bytes, median of ${ROUNDS}; baseline (ceiling): SHA-256 of the same bytes in a loop`,
    });
    await store.close();
    await pool.end();
  },
});

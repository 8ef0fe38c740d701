import 'reflect-metadata';
import crypto from 'node:crypto';
import { eventsTopic, toKafkaMessage, topicCatalogue, CONTEXTS } from '@handoff/contracts';
import { provisionTopics } from '@handoff/messaging';
import { mintApiKey } from '@handoff/platform';
import { defineBenchmark, percentiles, testPool } from '@handoff/testing';
import { Kafka, logLevel } from 'kafkajs';
import { type Pool } from 'pg';
import { startInsightsService } from '../src/bootstrap';
import { dropInsightsReadModels } from '../src/projections/insights-rebuild';
import { scriptedTickets } from '../src/testing/scripted-tickets.fixtures';

/** Scripted tenants produced (4 tickets, 66 events each); INSIGHTS_BENCH_TENANTS overrides. */
const TENANTS = Number(process.env['INSIGHTS_BENCH_TENANTS'] ?? 300);
const PARTITIONS = 4;
const ROUNDS = 3;
const TOPICS = CONTEXTS.map((c) => eventsTopic(c));

/**
 * Events/s folded into the insights read models (consumer runtime + fact store + the deriver having
 * recomputed every ticket) against a plain kafkajs consumer inserting the same events (one
 * autocommitted INSERT of id, type and data per message) from the same topics, same concurrency,
 * same run. Each side starts from an empty database and a fresh consumer group, timed from its first
 * applied message to its last (the insights side: until nothing is left to derive).
 */
export default defineBenchmark({
  name: 'insights-fold',
  description: `${TENANTS} scripted tenants (4 tickets each) on the four public topics: insights fold + derive vs plain INSERT`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const db = await ctx.createDatabase('insights_fold');
    const pool = testPool(db.url, { max: PARTITIONS * 2 });
    const kafka = new Kafka({
      clientId: 'insights-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    await provisionTopics(ctx.kafkaBrokers, topicCatalogue({ partitions: PARTITIONS }));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const t0 = Date.parse('2026-03-02T09:00:00.000Z');
    let produced = 0;
    for (let i = 0; i < TENANTS; i++) {
      const events = scriptedTickets(`bench-${crypto.randomBytes(4).toString('hex')}`, t0 + i * 60_000);
      for (const topic of TOPICS) {
        const messages = events.filter((e) => e.topic === topic).map((e) => toKafkaMessage(e.event));
        if (messages.length > 0) await producer.send({ topic, acks: -1, messages });
        produced += messages.length;
      }
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    let total = 0;
    for (const topic of TOPICS)
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    await admin.disconnect();
    // A producer retry can write a message twice (same ce_id): both sides read every message; the
    // runtime records each id once, so it is done when every distinct id is recorded.
    ctx.log(`${total} messages on the four topics, ${produced} distinct events`);

    const insightsRates: number[] = [];
    const plainRates: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const sides = [
          async () => insightsRates.push(await runInsights(ctx.kafkaBrokers, db.url, pool, produced, total)),
          async () => plainRates.push(await runPlain(kafka, pool, total)),
        ];
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) await side();
        ctx.log(
          `round ${round}: insights ${insightsRates.at(-1)?.toFixed(0)}/s, plain ${plainRates.at(-1)?.toFixed(0)}/s`,
        );
      }
      ctx.record({
        metric: 'events folded into the insights read models',
        unit: 'events/s',
        value: percentiles(insightsRates).median,
        baseline: percentiles(plainRates).median,
        higherIsBetter: true,
        targetRatio: 0.5,
        note:
          `${total} messages (${TENANTS} tenants × 4 scripted tickets), ${PARTITIONS} partitions per topic consumed ` +
          `${PARTITIONS} at a time, median of ${ROUNDS} alternating rounds; insights: startInsightsService ` +
          '(contract validation, batch transactions, fact + pending mark per event, deriver rewriting every ' +
          'derived table of each ticket) timed until nothing is pending; baseline: kafkajs eachMessage + one ' +
          'autocommitted INSERT (id, type, data jsonb)',
      });
    } finally {
      await pool.end();
    }
  },
});

async function runInsights(
  brokers: string[],
  url: string,
  pool: Pool,
  distinct: number,
  total: number,
): Promise<number> {
  await dropInsightsReadModels(url);
  const groupId = `bench-insights-${crypto.randomUUID()}`;
  const service = await startInsightsService(
    {
      DATABASE_URL: url,
      KAFKA_BROKERS: brokers.join(','),
      API_KEYS: mintApiKey('bench', ['agent']).entry,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: String(PARTITIONS),
    },
    { enableShutdownHooks: false },
  );
  try {
    let first: bigint | undefined;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { rows } = await pool.query<{ processed: number; pending: boolean }>(
        `SELECT (SELECT count(*) FROM insights.processed_messages WHERE consumer_group = $1)::int AS processed,
                EXISTS (SELECT 1 FROM insights.pending_derivations) AS pending`,
        [groupId],
      );
      const processed = rows[0]?.processed ?? 0;
      if (processed > 0) first ??= process.hrtime.bigint();
      if (processed >= distinct && !rows[0]?.pending) break;
      if (Date.now() > deadline)
        throw new Error(`insights folded ${processed} of ${distinct} events in 180 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const end = process.hrtime.bigint();
    return total / (Number(end - (first ?? end)) / 1e9);
  } finally {
    await service.close();
  }
}

async function runPlain(kafka: Kafka, pool: Pool, total: number): Promise<number> {
  await pool.query('DROP TABLE IF EXISTS plain_events');
  await pool.query(
    'CREATE TABLE plain_events (event_id text PRIMARY KEY, type text NOT NULL, data jsonb NOT NULL)',
  );
  const consumer = kafka.consumer({
    groupId: `bench-plain-${crypto.randomUUID()}`,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
  let first: bigint | undefined;
  let applied = 0;
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async ({ message }) => {
      first ??= process.hrtime.bigint();
      await pool.query(
        'INSERT INTO plain_events (event_id, type, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING',
        [
          message.headers?.['ce_id']?.toString(),
          message.headers?.['ce_type']?.toString(),
          message.value?.toString() ?? 'null',
        ],
      );
      applied += 1;
    },
  });
  try {
    const deadline = Date.now() + 180_000;
    while (applied < total) {
      if (Date.now() > deadline) throw new Error(`plain applied ${applied} of ${total} events in 180 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const end = process.hrtime.bigint();
    return total / (Number(end - (first ?? end)) / 1e9);
  } finally {
    await consumer.disconnect();
  }
}

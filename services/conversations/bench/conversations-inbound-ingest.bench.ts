import crypto from 'node:crypto';
import { inboundTopic, toKafkaMessage, topicCatalogue, type PublicEventEnvelope } from '@handoff/contracts';
import { defineBenchmark, testPool } from '@handoff/testing';
import { provisionTopics } from '@handoff/messaging';
import { Kafka, logLevel } from 'kafkajs';
import {
  BASELINE_INSERT,
  BASELINE_TABLE,
  baselineRow,
  restMessage,
  startBenchService,
} from './conversations-bench-environment';

/** Messages of the cold phase: each side's first messages, while its code is still compiling. */
const WARM_UP = 2_400;
/** Messages of the measured, steady-state phase, after the warm-up. */
const MESSAGES = 14_400;
/** Messages per customer in each set: its first message opens a ticket, the others follow it. */
const PER_CUSTOMER = 6;
const CONCURRENT_PARTITIONS = 6;

/**
 * Channel messages pre-produced onto `handoff.inbound.messages.v1` (keyed by thread, 6 partitions),
 * ingested by the service's consumer (contract validation, tenant check, the full ingestion) against
 * a plain kafkajs consumer doing the same INSERT of the message row, with the same partition
 * concurrency, both reading the same messages: a warm-up set, then the measured set (other
 * customers, the same mix of first and later messages). The target figure is the steady state:
 * from the moment a side has applied the warm-up set to the moment it has applied both, as the REST
 * benchmark measures after its warm-up round. The cold phase (first applied message to the end of
 * the warm-up) is recorded too. Start-up and group joins are left out of both. The plain consumer
 * runs before and after the service, and the baseline is the mean of the two runs (so the service's
 * cold phase follows a plain run in the same process: kafkajs and pg are warm by then).
 */
export default defineBenchmark({
  name: 'conversations-inbound-ingest',
  description: `${MESSAGES} inbound channel messages after ${WARM_UP} of warm-up: service consumer vs plain kafkajs + INSERT`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const kafka = new Kafka({
      clientId: 'conversations-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    await provisionTopics(ctx.kafkaBrokers, topicCatalogue({ partitions: 6 }));
    const tenantId = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const set = (size: number) => {
      const run = crypto.randomBytes(4).toString('hex');
      return Array.from({ length: size }, (_, i) => restMessage(i, size / PER_CUSTOMER, run));
    };
    const messages = [...set(WARM_UP), ...set(MESSAGES)];
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send({
        topic: inboundTopic('messages'),
        acks: -1,
        messages: messages.slice(start, start + 500).map((m) => toKafkaMessage(envelope(tenantId, m))),
      });
    }
    await producer.disconnect();
    ctx.log(`produced ${WARM_UP} warm-up and ${MESSAGES} measured messages`);

    // The plain consumer reads the topic before and after the service (each time in a new consumer
    // group, into an emptied table): the machine's speed drifts over a run, and the mean of two
    // baselines that bracket the service follows the drift where one baseline after it would not.
    const plainDb = await ctx.createDatabase('conversations_inbound_plain');
    const plainPool = testPool(plainDb.url, { max: CONCURRENT_PARTITIONS + 2 });
    const plainRun = async (): Promise<Rates> => {
      await plainPool.query(BASELINE_TABLE);
      await plainPool.query('TRUNCATE baseline_messages');
      const consumer = kafka.consumer({
        groupId: `bench-plain-${crypto.randomUUID()}`,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: inboundTopic('messages'), fromBeginning: true });
      let applied = 0;
      await consumer.run({
        partitionsConsumedConcurrently: CONCURRENT_PARTITIONS,
        eachMessage: async ({ message }) => {
          const data = JSON.parse(message.value?.toString() ?? 'null') as ReturnType<typeof restMessage> & {
            tenantId: string;
          };
          if (data.tenantId !== tenantId) return;
          await plainPool.query(BASELINE_INSERT, baselineRow(data.tenantId, data));
          applied += 1;
        },
      });
      try {
        return await rates(() => Promise.resolve(applied), 'plain consumer');
      } finally {
        await consumer.disconnect();
      }
    };
    try {
      const before = await plainRun();

      // The service (fresh database and consumer group) consumes what was produced.
      const bench = await startBenchService(ctx, 'conversations_inbound', tenantId);
      const pool = testPool(bench.databaseUrl, { max: 2 });
      let service: Rates;
      try {
        service = await rates(async () => {
          const result = await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM conversations.timeline_items WHERE kind = 'MessageReceived'`,
          );
          return Number(result.rows[0]?.n ?? 0);
        }, 'service');
      } finally {
        await bench.close();
        await pool.end();
      }

      const after = await plainRun();
      const plain: Rates = {
        steady: (before.steady + after.steady) / 2,
        cold: (before.cold + after.cold) / 2,
      };
      ctx.log(
        `steady state: service ${service.steady.toFixed(0)}/s, plain ${plain.steady.toFixed(0)}/s ` +
          `(${before.steady.toFixed(0)} before, ${after.steady.toFixed(0)} after); ` +
          `cold: service ${service.cold.toFixed(0)}/s, plain ${plain.cold.toFixed(0)}/s`,
      );
      const setting =
        `pre-produced ChannelMessage events (${PER_CUSTOMER} messages per customer) on 6 partitions, ` +
        `${CONCURRENT_PARTITIONS} partitions consumed concurrently by both; the service once, the plain consumer before and after it (baseline: the mean); ` +
        'baseline: kafkajs eachMessage + one INSERT … ON CONFLICT DO NOTHING of the same message row';
      ctx.record({
        metric: 'inbound-topic ingest throughput',
        unit: 'messages/s',
        value: service.steady,
        baseline: plain.steady,
        higherIsBetter: true,
        targetRatio: 0.5,
        note: `steady state: the ${MESSAGES} messages after a warm-up of ${WARM_UP}; ${setting}`,
      });
      ctx.record({
        metric: 'inbound-topic ingest throughput, cold',
        unit: 'messages/s',
        value: service.cold,
        baseline: plain.cold,
        higherIsBetter: true,
        note: `the first ${WARM_UP} messages after start-up (code still compiling); ${setting}`,
      });
    } finally {
      await plainPool.end();
    }
  },
});

function envelope(tenantId: string, m: ReturnType<typeof restMessage>): PublicEventEnvelope {
  return {
    id: crypto.randomUUID(),
    source: '/connectors/bench',
    type: 'dev.handoff.inbound.ChannelMessage.v1',
    subject: m.channelThreadId,
    time: new Date().toISOString(),
    tenantId,
    data: {
      tenantId,
      channel: 'web_chat',
      channelMessageId: m.channelMessageId,
      channelThreadId: m.channelThreadId,
      sender: {
        kind: 'customer',
        identity: { kind: 'chat_visitor_id', value: m.sender.identity.value, verified: false },
      },
      text: m.text,
      attachments: [],
      sentAt: m.sentAt,
    },
  };
}

interface Rates {
  /** Messages/s from the first applied message to the end of the warm-up set. */
  cold: number;
  /** Messages/s of the measured set: from the end of the warm-up to the last message. */
  steady: number;
}

/**
 * Polls `count()` until both sets are applied. The service's count is a query over its timeline
 * table, whose cost grows with the table (about 2 ms at 20,000 rows): polled every 10 ms it took a
 * fifth of a PostgreSQL backend, in the service's phase only. So it polls often only as a boundary
 * (the end of the warm-up, the last message) draws near, at the rate seen so far: every 5 ms from
 * half the time to the boundary on, at most every 100 ms before that.
 */
async function rates(count: () => Promise<number>, what: string): Promise<Rates> {
  const total = WARM_UP + MESSAGES;
  const deadline = Date.now() + 300_000;
  let first: bigint | undefined;
  let warm: bigint | undefined;
  let last: { n: number; at: bigint } | undefined;
  const perSecond = (n: number, from: bigint, to: bigint) => n / (Number(to - from) / 1e9);
  for (;;) {
    const n = await count();
    const now = process.hrtime.bigint();
    if (n > 0) first ??= now;
    if (n >= WARM_UP) warm ??= now;
    if (n >= total && first !== undefined && warm !== undefined)
      return { cold: perSecond(WARM_UP, first, warm), steady: perSecond(MESSAGES, warm, now) };
    if (Date.now() > deadline) throw new Error(`${what}: only ${n} of ${total} messages applied`);
    const boundary = n < WARM_UP ? WARM_UP : total;
    const rate = last && n > last.n ? perSecond(n - last.n, last.at, now) : 0;
    const untilBoundaryMs = rate > 0 ? ((boundary - n) / rate) * 1000 : 0;
    last = { n, at: now };
    const waitMs = n === 0 ? 5 : Math.min(100, Math.max(5, untilBoundaryMs / 2));
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

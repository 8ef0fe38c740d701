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

const MESSAGES = 2_400;
const CUSTOMERS = 400;
const CONCURRENT_PARTITIONS = 6;

/**
 * Channel messages pre-produced onto `handoff.inbound.messages.v1` (keyed by thread, 6 partitions),
 * ingested by the service's consumer (contract validation, tenant check, the full ingestion) against
 * a plain kafkajs consumer doing the same INSERT of the message row, with the same partition
 * concurrency, both reading the same messages. Timed from each side's first applied message to its
 * last, so start-up and group joins are left out.
 */
export default defineBenchmark({
  name: 'conversations-inbound-ingest',
  description: `${MESSAGES} inbound channel messages of ${CUSTOMERS} customers: service consumer vs plain kafkajs + INSERT`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const kafka = new Kafka({
      clientId: 'conversations-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    await provisionTopics(ctx.kafkaBrokers, topicCatalogue({ partitions: 6 }));
    const tenantId = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const run = crypto.randomBytes(4).toString('hex');
    const messages = Array.from({ length: MESSAGES }, (_, i) => restMessage(i, CUSTOMERS, run));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let start = 0; start < MESSAGES; start += 500) {
      await producer.send({
        topic: inboundTopic('messages'),
        acks: -1,
        messages: messages.slice(start, start + 500).map((m) => toKafkaMessage(envelope(tenantId, m))),
      });
    }
    await producer.disconnect();
    ctx.log(`produced ${MESSAGES} messages`);

    // The service (fresh database and consumer group) consumes what was produced.
    const bench = await startBenchService(ctx, 'conversations_inbound', tenantId);
    const pool = testPool(bench.databaseUrl, { max: CONCURRENT_PARTITIONS + 2 });
    try {
      let serviceRate: number;
      try {
        serviceRate = await rate(async () => {
          const result = await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM conversations.timeline_items WHERE kind = 'MessageReceived'`,
          );
          return Number(result.rows[0]?.n ?? 0);
        }, 'service');
      } finally {
        await bench.close();
      }
      await pool.query(BASELINE_TABLE);

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
          await pool.query(BASELINE_INSERT, baselineRow(data.tenantId, data));
          applied += 1;
        },
      });
      let plainRate: number;
      try {
        plainRate = await rate(() => Promise.resolve(applied), 'plain consumer');
      } finally {
        await consumer.disconnect();
      }
      ctx.log(`service ${serviceRate.toFixed(0)}/s, plain ${plainRate.toFixed(0)}/s`);
      ctx.record({
        metric: 'inbound-topic ingest throughput',
        unit: 'messages/s',
        value: serviceRate,
        baseline: plainRate,
        higherIsBetter: true,
        targetRatio: 0.5,
        note:
          `${MESSAGES} pre-produced ChannelMessage events of ${CUSTOMERS} customers on 6 partitions, ${CONCURRENT_PARTITIONS} partitions ` +
          'consumed concurrently by both; one round each (a service run consumes the topic once); baseline: kafkajs eachMessage + ' +
          'one INSERT … ON CONFLICT DO NOTHING of the same message row',
      });
    } finally {
      await pool.end();
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

/** Waits until `count()` reaches MESSAGES; messages/s from the first applied to the last. */
async function rate(count: () => Promise<number>, what: string): Promise<number> {
  const deadline = Date.now() + 300_000;
  let first: bigint | undefined;
  for (;;) {
    const n = await count();
    const now = process.hrtime.bigint();
    if (n > 0) first ??= now;
    if (n >= MESSAGES && first !== undefined) return MESSAGES / (Number(now - first) / 1e9);
    if (Date.now() > deadline) throw new Error(`${what}: only ${n} of ${MESSAGES} messages applied`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

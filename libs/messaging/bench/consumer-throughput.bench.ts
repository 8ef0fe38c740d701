import 'reflect-metadata';
import crypto from 'node:crypto';
import { Controller, Inject, Module } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { deadLetterTopic, sourceOf, toKafkaMessage, type PublicEventEnvelope } from '@handoff/contracts';
import { defineBenchmark, percentiles, testPool } from '@handoff/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';
import {
  ConsumerMetrics,
  ConsumerRuntimeModule,
  createConsumerMicroservice,
  MessageProcessor,
  type ConsumerRuntimeOptions,
} from '../src';
import { createTopicsAndWait } from '../src/provisioning/provision-topics';

const MESSAGES = 12_000;
const PARTITIONS = 4;
const ROUNDS = 3;
const TENANT = 'tenant-bench';

/**
 * Messages/s applied to a trivial read model through the consumer runtime (Nest Kafka transport,
 * contract validation, tenant check, the effect committed with the processed id) against a plain
 * kafkajs consumer doing the same INSERT, reading the same pre-produced topic with the same
 * concurrency. The runtime runs in its default batch mode (one transaction per fetched batch of a
 * partition, the figure with the target) and, for comparison, with `batch: false` (one transaction
 * per message). Timed from each side's first message to its last, so group-join delays are left out.
 */
export default defineBenchmark({
  name: 'consumer-throughput',
  description: `${MESSAGES} pre-produced events on ${PARTITIONS} partitions applied to a read model: runtime vs plain kafkajs + INSERT`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const db = await ctx.createDatabase('consumer_throughput');
    const pool = testPool(db.url, { max: PARTITIONS * 2 });
    await pool.query(
      `CREATE TABLE owner_assignments (event_id text NOT NULL, ticket_id text NOT NULL, owner_id text NOT NULL)`,
    );
    const kafka = new Kafka({
      clientId: 'consumer-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench.consumer.${Date.now().toString(36)}.${crypto.randomBytes(3).toString('hex')}`;
    await createTopicsAndWait(
      admin,
      [topic, deadLetterTopic(topic)].map((t) => ({
        topic: t,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
      })),
    );
    try {
      await produce(kafka, topic);
      ctx.log(`produced ${MESSAGES} messages to ${topic}`);
      const runtimeRates: number[] = [];
      const perMessageRates: number[] = [];
      const plainRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const sides = [
          async () => runtimeRates.push(await runRuntime(ctx.kafkaBrokers, pool, topic, true)),
          async () => perMessageRates.push(await runRuntime(ctx.kafkaBrokers, pool, topic, false)),
          async () => plainRates.push(await runPlain(kafka, pool, topic)),
        ];
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) {
          // Each round starts from empty tables on both sides (the runtime's own included).
          await pool.query('TRUNCATE owner_assignments');
          await pool.query('DROP TABLE IF EXISTS processed_messages');
          await side();
        }
        ctx.log(
          `round ${round}: runtime ${runtimeRates.at(-1)?.toFixed(0)}/s, ` +
            `runtime batch: false ${perMessageRates.at(-1)?.toFixed(0)}/s, plain ${plainRates.at(-1)?.toFixed(0)}/s`,
        );
      }
      ctx.record({
        metric: 'messages applied to a read model',
        unit: 'messages/s',
        value: percentiles(runtimeRates).median,
        baseline: percentiles(plainRates).median,
        higherIsBetter: true,
        targetRatio: 0.7,
        note:
          `${MESSAGES} messages, ${PARTITIONS} partitions consumed concurrently, median of ${ROUNDS} alternating rounds; ` +
          'baseline: kafkajs eachMessage + one autocommitted INSERT; runtime: Nest ServerKafka + fromKafkaMessage ' +
          'validation + tenant check, batch mode: per fetched batch (≤ 500 messages) one SELECT of processed ids, ' +
          'BEGIN, one read-model INSERT per message, one multi-row processed_messages INSERT, COMMIT',
      });
      ctx.record({
        metric: 'messages applied to a read model, batch: false',
        unit: 'messages/s',
        value: percentiles(perMessageRates).median,
        baseline: percentiles(plainRates).median,
        higherIsBetter: true,
        note:
          'same runs, runtime with batch: false (kafkajs eachMessage): per message BEGIN, processed_messages ' +
          'INSERT, read-model INSERT, COMMIT; for comparison, no target',
      });
    } finally {
      await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic)] }).catch(() => undefined);
      await admin.disconnect();
      await pool.end();
    }
  },
});

function event(i: number): PublicEventEnvelope {
  const ticketId = `ticket-${i % 500}`;
  return {
    id: crypto.randomUUID(),
    source: sourceOf('ownership'),
    type: 'dev.handoff.ownership.OwnerAssigned.v1',
    subject: ticketId,
    time: new Date().toISOString(),
    tenantId: TENANT,
    data: {
      tenantId: TENANT,
      ticketId,
      owner: { kind: 'agent', id: `agent-${i % 20}` },
      how: 'assigned',
      assignedBy: { kind: 'supervisor', id: 'sup-1' },
    },
  };
}

async function produce(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let start = 0; start < MESSAGES; start += 1_000) {
    const messages = Array.from({ length: 1_000 }, (_, j) => toKafkaMessage(event(start + j)));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

const INSERT = 'INSERT INTO owner_assignments (event_id, ticket_id, owner_id) VALUES ($1, $2, $3)';

/** Waits until `count()` reaches MESSAGES; returns messages/s from the first message to the last. */
async function rate(firstAt: () => bigint | undefined, count: () => number): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (count() < MESSAGES) {
    if (Date.now() > deadline) throw new Error(`only ${count()} of ${MESSAGES} messages applied in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const end = process.hrtime.bigint();
  const start = firstAt() ?? end;
  return MESSAGES / (Number(end - start) / 1e9);
}

async function runPlain(kafka: Kafka, pool: Pool, topic: string): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-plain-${crypto.randomUUID()}`,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let first: bigint | undefined;
  let applied = 0;
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async ({ message }) => {
      first ??= process.hrtime.bigint();
      const data = JSON.parse(message.value?.toString() ?? 'null') as {
        ticketId: string;
        owner: { id: string };
      };
      await pool.query(INSERT, [message.headers?.['ce_id']?.toString(), data.ticketId, data.owner.id]);
      applied += 1;
    },
  });
  try {
    return await rate(
      () => first,
      () => applied,
    );
  } finally {
    await consumer.disconnect();
  }
}

async function runRuntime(brokers: string[], pool: Pool, topic: string, batch: boolean): Promise<number> {
  let first: bigint | undefined;
  const options: ConsumerRuntimeOptions = {
    clientId: 'consumer-bench',
    brokers,
    groupId: `bench-runtime-${crypto.randomUUID()}`,
    pool,
    knownTenant: (tenantId) => tenantId === TENANT,
    partitionsConsumedConcurrently: PARTITIONS,
    batch,
  };
  const apply = async (e: PublicEventEnvelope, tx: PoolClient) => {
    first ??= process.hrtime.bigint();
    const data = e.data as { ticketId: string; owner: { id: string } };
    await tx.query(INSERT, [e.id, data.ticketId, data.owner.id]);
  };

  @Controller()
  class OwnerAssignmentsController {
    constructor(@Inject(MessageProcessor) private readonly processor: MessageProcessor) {}

    @EventPattern(topic)
    async onOwnershipEvent(@Ctx() kafkaContext: KafkaContext): Promise<void> {
      await this.processor.process(kafkaContext, apply);
    }
  }

  @Module({ imports: [ConsumerRuntimeModule.forRoot(options)], controllers: [OwnerAssignmentsController] })
  class BenchModule {}

  const app = await createConsumerMicroservice(BenchModule, options, { logger: ['error'] });
  await app.listen();
  const metrics = app.get(ConsumerMetrics);
  try {
    return await rate(
      () => first,
      () => metrics.snapshot().applied,
    );
  } finally {
    await app.close();
  }
}

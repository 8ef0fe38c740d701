import 'reflect-metadata';
import crypto from 'node:crypto';
import { Controller, Inject, type INestMicroservice, Module } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { deadLetterTopic, sourceOf, toKafkaMessage, type PublicEventEnvelope } from '@handoff/contracts';
import { Kafka, logLevel, type Admin, type IHeaders, type Producer } from 'kafkajs';
import { type Pool, type PoolClient } from 'pg';
import { createConsumerMicroservice } from './consumer-microservice.factory';
import { ConsumerMetrics } from './consumer-metrics';
import { ConsumerRuntimeModule } from './consumer-runtime.module';
import { type ConsumerRuntimeOptions } from './consumer-runtime.options';
import { type ApplyEvent, MessageProcessor } from './message-processor';
import { createTopicsAndWait } from '../provisioning/provision-topics';

export const TENANT = 'tenant-a';
export const OWNER_ASSIGNED = 'dev.handoff.ownership.OwnerAssigned.v1';

/** A valid public `OwnerAssigned` event for `ticketId`. */
export function ownerAssigned(ticketId: string, overrides: { tenantId?: string } = {}): PublicEventEnvelope {
  const tenantId = overrides.tenantId ?? TENANT;
  return {
    id: crypto.randomUUID(),
    source: sourceOf('ownership'),
    type: OWNER_ASSIGNED,
    subject: ticketId,
    time: new Date().toISOString(),
    tenantId,
    data: {
      tenantId,
      ticketId,
      owner: { kind: 'agent', id: 'agent-1' },
      how: 'assigned',
      assignedBy: { kind: 'supervisor', id: 'sup-1' },
    },
  };
}

/** The trivial read model of the tests: one row per applied event, deliberately without a unique key. */
export const READ_MODEL_SQL = `CREATE TABLE IF NOT EXISTS owner_assignments (
  event_id text NOT NULL, ticket_id text NOT NULL, owner_id text NOT NULL)`;

export const insertAssignment: ApplyEvent = async (event, tx: PoolClient) => {
  const data = event.data as { ticketId: string; owner: { id: string } };
  await tx.query('INSERT INTO owner_assignments (event_id, ticket_id, owner_id) VALUES ($1, $2, $3)', [
    event.id,
    data.ticketId,
    data.owner.id,
  ]);
};

/** A consumer service of one `@EventPattern` controller applying to the read model with `apply`. */
export function readModelModule(
  topic: string,
  options: ConsumerRuntimeOptions,
  apply: ApplyEvent = insertAssignment,
) {
  @Controller()
  class OwnerAssignmentsController {
    constructor(@Inject(MessageProcessor) private readonly processor: MessageProcessor) {}

    @EventPattern(topic)
    async onOwnershipEvent(@Ctx() ctx: KafkaContext): Promise<void> {
      await this.processor.process(ctx, apply);
    }
  }

  @Module({ imports: [ConsumerRuntimeModule.forRoot(options)], controllers: [OwnerAssignmentsController] })
  class OwnerAssignmentsModule {}

  return OwnerAssignmentsModule;
}

/** A started consumer service and its counters. */
export interface RunningConsumer {
  app: INestMicroservice;
  metrics: ConsumerMetrics;
}

export async function startConsumer(
  topic: string,
  options: ConsumerRuntimeOptions,
  apply: ApplyEvent = insertAssignment,
): Promise<RunningConsumer> {
  const app = await createConsumerMicroservice(readModelModule(topic, options, apply), options, {
    logger: ['error'],
  });
  await app.listen();
  return { app, metrics: app.get(ConsumerMetrics) };
}

/** Kafka plumbing of a test file: topics (with their DLQ) created and deleted, a producer, DLQ reads. */
export class TestKafka {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  private readonly topics: string[] = [];

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'consumer-tests', brokers, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
  }

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
  }

  /** Creates `topic` and `topic.dlq` with `partitions` each and the given topic configs. */
  async createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    await createTopicsAndWait(
      this.admin,
      [topic, deadLetterTopic(topic)].map((name) => ({
        topic: name,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries,
      })),
    );
    this.topics.push(topic, deadLetterTopic(topic));
  }

  async send(topic: string, event: PublicEventEnvelope, partition?: number): Promise<void> {
    const message = toKafkaMessage(event);
    await this.producer.send({ topic, acks: -1, messages: [{ ...message, partition }] });
  }

  /** Reads `count` messages of `topic` from the beginning (fails after `timeoutMs`). */
  async readAll(
    topic: string,
    count: number,
    timeoutMs = 30_000,
  ): Promise<{ key: Buffer | null; value: Buffer | null; headers: IHeaders; partition: number }[]> {
    const consumer = this.kafka.consumer({
      groupId: `reader-${crypto.randomUUID()}`,
      maxBytes: 64 * 1024 * 1024,
    });
    const seen: { key: Buffer | null; value: Buffer | null; headers: IHeaders; partition: number }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`read ${seen.length} of ${count} messages of ${topic}`)),
          timeoutMs,
        );
        void consumer.run({
          eachMessage: ({ message, partition }) => {
            seen.push({ key: message.key, value: message.value, headers: message.headers ?? {}, partition });
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  async close(): Promise<void> {
    if (this.topics.length > 0) await this.admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}

/** Polls `check` until it returns true (fails after `timeoutMs`, with `describe()` in the message). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  describe: () => string | Promise<string>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Rows per event id in the read model. */
export async function applications(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ event_id: string; n: string }>(
    'SELECT event_id, count(*) AS n FROM owner_assignments GROUP BY event_id',
  );
  return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
}

export const header = (headers: IHeaders, name: string): string | undefined => headers[name]?.toString();

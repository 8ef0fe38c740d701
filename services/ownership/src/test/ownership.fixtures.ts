import crypto from 'node:crypto';
import {
  eventsTopic,
  fromKafkaMessage,
  sourceOf,
  toKafkaMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { Kafka, logLevel, type Producer } from 'kafkajs';

/** A consumed message with its headers as strings. */
export interface KafkaRecord {
  partition: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Test-side Kafka: publishes other services' facts on the real topics and reads the ownership topic. */
export class KafkaFixture {
  readonly kafka: Kafka;
  private producer: Producer | undefined;

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'ownership-int', brokers, logLevel: logLevel.NOTHING });
  }

  async publish(context: 'conversations' | 'escalation', event: PublicEventEnvelope): Promise<void> {
    this.producer ??= this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await this.producer.send({ topic: eventsTopic(context), acks: -1, messages: [toKafkaMessage(event)] });
  }

  /** Ownership events of `ticketId` published so far (reads the topic from the beginning). */
  async ownershipEventsOf(
    ticketId: string,
    until: (events: PublicEventEnvelope[]) => boolean,
    timeoutMs = 30_000,
  ) {
    const consumer = this.kafka.consumer({ groupId: `ownership-int-${crypto.randomUUID()}` });
    const seen: PublicEventEnvelope[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: eventsTopic('ownership'), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`saw ${JSON.stringify(seen.map((e) => e.type))}`)),
          timeoutMs,
        );
        void consumer.run({
          eachMessage: ({ message }) => {
            if (message.key?.toString() === ticketId) {
              seen.push(
                fromKafkaMessage({ key: message.key, value: message.value, headers: message.headers ?? {} }),
              );
              if (until(seen)) {
                clearTimeout(timer);
                resolve();
              }
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

  /**
   * Messages of `topic` (read from the beginning) until `found` picks one: the dead-letter topics are
   * shared by every suite on the broker, so the caller picks by key or `ce_id`.
   */
  async firstMessageOf(
    topic: string,
    found: (message: KafkaRecord) => boolean,
    timeoutMs = 30_000,
  ): Promise<KafkaRecord> {
    const consumer = this.kafka.consumer({ groupId: `ownership-int-${crypto.randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      return await new Promise<KafkaRecord>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message on ${topic}`)), timeoutMs);
        void consumer.run({
          eachMessage: ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {}))
              if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[0] : value);
            const record = {
              partition,
              key: message.key?.toString() ?? null,
              value: message.value,
              headers,
            };
            if (found(record)) {
              clearTimeout(timer);
              resolve(record);
            }
            return Promise.resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}

export const ticketOpened = (tenantId: string, ticketId: string): PublicEventEnvelope => ({
  id: crypto.randomUUID(),
  source: sourceOf('conversations'),
  type: 'dev.handoff.conversations.TicketOpened.v1',
  subject: ticketId,
  time: new Date(Date.now() - 60_000).toISOString(),
  tenantId,
  data: {
    tenantId,
    ticketId,
    customerId: 'cust-1',
    channel: 'web_chat',
    openedBy: { kind: 'customer', id: 'cust-1' },
  },
});

export const handoffAccepted = (
  tenantId: string,
  ticketId: string,
  agentId: string,
): PublicEventEnvelope => ({
  id: crypto.randomUUID(),
  source: sourceOf('escalation'),
  type: 'dev.handoff.escalation.HandoffAccepted.v1',
  subject: ticketId,
  time: new Date().toISOString(),
  tenantId,
  data: {
    tenantId,
    ticketId,
    handoffId: `hof-${crypto.randomUUID()}`,
    offerId: 'ofr-1',
    handoffType: 'ai_to_human',
    from: { kind: 'bot', id: 'bot' },
    agent: { agentId },
    teamId: 'tier-2',
    brief: { briefId: 'brief-1', version: 2 },
    reasonCode: 'customer_asked_for_human',
  },
});

export const presenceChanged = (
  tenantId: string,
  agentId: string,
  presence: 'online' | 'offline',
): PublicEventEnvelope => ({
  id: crypto.randomUUID(),
  source: sourceOf('escalation'),
  type: 'dev.handoff.escalation.AgentPresenceChanged.v1',
  subject: agentId,
  time: new Date().toISOString(),
  tenantId,
  data: { tenantId, agentId, presence, changedBy: { kind: 'agent', id: agentId } },
});

/** Polls until `check` holds (fails after `timeoutMs`, with the last value). */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export const ticketClosed = (tenantId: string, ticketId: string): PublicEventEnvelope => ({
  id: crypto.randomUUID(),
  source: sourceOf('conversations'),
  type: 'dev.handoff.conversations.TicketClosed.v1',
  subject: ticketId,
  time: new Date().toISOString(),
  tenantId,
  data: { tenantId, ticketId, closedBy: { kind: 'agent', id: 'a1' }, resolution: 'resolved' },
});

export const ticketReopened = (tenantId: string, ticketId: string): PublicEventEnvelope => ({
  id: crypto.randomUUID(),
  source: sourceOf('conversations'),
  type: 'dev.handoff.conversations.TicketReopened.v1',
  subject: ticketId,
  time: new Date().toISOString(),
  tenantId,
  data: { tenantId, ticketId, reopenedBy: { kind: 'customer', id: 'cust-1' } },
});

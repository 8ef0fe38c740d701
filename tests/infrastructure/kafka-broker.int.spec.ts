import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { testInfrastructure, uniqueName } from '@handoff/testing';

// The smoke test that chose the pinned broker release: kafkajs (the driver under
// @nestjs/microservices) against the real broker, covering what the platform relies on.
const infra = testInfrastructure();
const kafka = new Kafka({ clientId: 'smoke', brokers: infra.kafkaBrokers, logLevel: logLevel.WARN });

describe(`Kafka ${infra.kafkaVersion} (${infra.kafkaSource}) with kafkajs`, () => {
  const topic = uniqueName('smoke');
  const groupId = uniqueName('smoke-group');
  const admin = kafka.admin();
  const consumers: Consumer[] = [];

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic with three partitions through the admin API', async () => {
    // A KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic,
    // which kafkajs' own waitForLeaders does not retry (it fails the call): wait for three led
    // partitions here instead.
    expect(await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 3 }] })).toBe(
      true,
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const led = await admin
        .fetchTopicMetadata({ topics: [topic] })
        .then(({ topics }) => topics[0]?.partitions.filter((p) => p.leader >= 0).length ?? 0)
        .catch(() => 0);
      if (led === 3) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has ${led} of 3 partitions led after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('produces, consumes in a group with commits, and rebalances when a second member joins', async () => {
    // Idempotent, as the relay's producer is: a send that the broker partly wrote and then failed
    // (a fresh KRaft partition may refuse the first request) is retried whole by kafkajs, and only
    // the producer id and sequence numbers stop the retry from writing the written part again.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (from: number, to: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: to - from }, (_, i) => ({
          key: `ticket-${(from + i) % 6}`,
          value: String(from + i),
        })),
      });

    const received = new Map<string, number[]>();
    const seen = new Set<string>();
    const assignments = new Map<string, number>();
    const startMember = async (name: string) => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assignments.set(name, e.payload.memberAssignment[topic]?.length ?? 0);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          const value = message.value?.toString() ?? '';
          seen.add(value);
          received.set(key, [...(received.get(key) ?? []), Number(value)]);
          return Promise.resolve();
        },
      });
    };

    await send(0, 30);
    await startMember('a');
    await waitFor(() => seen.size === 30, 'first member to read the first 30 messages');
    expect(assignments.get('a')).toBe(3);

    await startMember('b');
    await waitFor(() => assignments.get('b') !== undefined && assignments.get('a') !== 3, 'rebalance');
    expect((assignments.get('a') ?? 0) + (assignments.get('b') ?? 0)).toBe(3);
    expect(assignments.get('b')).toBeGreaterThan(0);

    await send(30, 60);
    await producer.disconnect();
    await waitFor(() => seen.size === 60, 'both members to read the rest');
    expect([...seen].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Per key, order is the order of production (a key maps to one partition).
    for (const values of received.values()) {
      const firstSeen = values.filter((v, i) => values.indexOf(v) === i);
      expect(firstSeen).toEqual([...firstSeen].sort((x, y) => x - y));
    }

    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    const logEnd = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    expect(logEnd).toBe(60);
    expect(committed).toBe(logEnd);
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { deadLetterTopic, toKafkaMessage } from '@handoff/contracts';
import { type Pool } from 'pg';
import { type ConsumerRuntimeOptions } from './consumer-runtime.options';
import {
  applications,
  eventually,
  header,
  ownerAssigned,
  READ_MODEL_SQL,
  type RunningConsumer,
  startConsumer,
  TENANT,
  TestKafka,
} from './consumer.fixtures';

const TEN_MIB = 10 * 1024 * 1024;

describe('consumer runtime: bad input on the real broker', () => {
  let db: IsolatedDatabase;
  let pool: Pool;
  let kafka: TestKafka;
  let consumer: RunningConsumer | undefined;
  const topic = uniqueName('consumer-bad-input');
  const groupId = uniqueName('group');

  beforeAll(async () => {
    db = await createIsolatedDatabase('consumer_bad_input');
    pool = testPool(db.url, { max: 4 });
    await pool.query(READ_MODEL_SQL);
    kafka = new TestKafka(testInfrastructure().kafkaBrokers);
    await kafka.connect();
    // One partition, so "the next message on the same partition" is every later message; large
    // enough for the 10 MiB message and its dead letter.
    await kafka.createTopic(topic, 1, { 'max.message.bytes': String(12 * 1024 * 1024) });
  });

  afterAll(async () => {
    await consumer?.app.close();
    await kafka?.close();
    await pool?.end();
    await db?.drop();
  });

  it('parks every kind of poison with its reason and original bytes, and keeps applying the next message', async () => {
    const good = ownerAssigned('ticket-1');
    const valid = toKafkaMessage(ownerAssigned('ticket-1'));
    const poison: {
      expectReasons: string[];
      key: Buffer | string | null;
      value: Buffer;
      headers: Record<string, string>;
    }[] = [
      {
        expectReasons: ['malformed-json'],
        key: valid.key,
        value: Buffer.from('{"tenantId": "tenant-a", oops'),
        headers: valid.headers,
      },
      {
        expectReasons: ['schema-violation'],
        key: valid.key,
        value: Buffer.from(
          JSON.stringify({ tenantId: TENANT, ticketId: 'ticket-1', owner: 'not an object' }),
        ),
        headers: valid.headers,
      },
      {
        expectReasons: ['unknown-type'],
        key: valid.key,
        value: valid.value,
        headers: { ...valid.headers, ce_type: 'dev.handoff.ownership.OwnerVanished.v1' },
      },
      {
        expectReasons: ['unknown-type', 'unknown-version'],
        key: valid.key,
        value: valid.value,
        headers: { ...valid.headers, ce_type: 'dev.handoff.ownership.OwnerAssigned.v9' },
      },
      { expectReasons: ['missing-key'], key: null, value: valid.value, headers: valid.headers },
      {
        expectReasons: ['oversize'],
        key: valid.key,
        value: Buffer.alloc(TEN_MIB, 'x'),
        headers: valid.headers,
      },
      (() => {
        const foreign = toKafkaMessage(ownerAssigned('ticket-1', { tenantId: 'tenant-unknown' }));
        return { expectReasons: ['unknown-tenant'], ...foreign };
      })(),
    ];

    const options: ConsumerRuntimeOptions = {
      clientId: 'bad-input-test',
      brokers: testInfrastructure().kafkaBrokers,
      groupId,
      pool,
      knownTenant: (tenantId) => tenantId === TENANT,
      retry: { attempts: 2, baseMs: 10, maxMs: 20 },
    };
    consumer = await startConsumer(topic, options);

    for (const p of poison) {
      await kafka.producer.send({
        topic,
        acks: -1,
        messages: [{ key: p.key, value: p.value, headers: p.headers, partition: 0 }],
      });
    }
    await kafka.send(topic, good, 0);

    await eventually(
      async () => (await applications(pool)).get(good.id) === 1,
      () => `good message not applied; metrics ${JSON.stringify(consumer?.metrics.snapshot())}`,
    );

    const parked = await kafka.readAll(deadLetterTopic(topic), poison.length);
    expect(parked).toHaveLength(poison.length);
    parked.forEach((dead, i) => {
      const sent = poison[i]!;
      expect(sent.expectReasons).toContain(header(dead.headers, 'dlq_reason'));
      expect(dead.value?.equals(sent.value)).toBe(true);
      expect(dead.key?.toString() ?? null).toBe(sent.key === null ? null : sent.key.toString());
      for (const [name, value] of Object.entries(sent.headers))
        expect(header(dead.headers, name)).toBe(value);
      expect(header(dead.headers, 'dlq_consumer_group')).toBe(groupId);
      expect(header(dead.headers, 'dlq_original_topic')).toBe(topic);
      expect(header(dead.headers, 'dlq_original_partition')).toBe('0');
      expect(header(dead.headers, 'dlq_original_offset')).toBe(String(i));
      expect(header(dead.headers, 'dlq_error')).toBeTruthy();
      expect(Number.isNaN(Date.parse(header(dead.headers, 'dlq_failed_at') ?? ''))).toBe(false);
      expect(header(dead.headers, 'dlq_attempts')).toBe('0');
    });

    // Still alive and moving after all of it.
    const next = ownerAssigned('ticket-1');
    await kafka.send(topic, next, 0);
    await eventually(
      async () => (await applications(pool)).get(next.id) === 1,
      () => 'the message after the poison was not applied',
    );
    // The counter moves once COMMIT has answered, a moment after the row is visible.
    await eventually(
      () => consumer?.metrics.snapshot().applied === 2,
      () => JSON.stringify(consumer?.metrics.snapshot()),
    );
    const metrics = consumer.metrics.snapshot();
    expect(metrics.consumed).toBe(poison.length + 2);
    expect(metrics.applied).toBe(2);
    expect(Object.values(metrics.deadLettered).reduce((a, b) => a + b, 0)).toBe(poison.length);
    expect(metrics.deadLettered['oversize']).toBe(1);
    expect(metrics.deadLettered['unknown-tenant']).toBe(1);
    expect(metrics.assignment).toEqual({ [topic]: [0] });
    expect(metrics.lag).toEqual({ [`${topic}/0`]: 0 });
  });
});

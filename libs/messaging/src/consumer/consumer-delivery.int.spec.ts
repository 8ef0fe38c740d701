import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { deadLetterTopic } from '@handoff/contracts';
import { type Pool } from 'pg';
import { TransientError } from './consumer-errors';
import { type ConsumerRuntimeOptions } from './consumer-runtime.options';
import {
  applications,
  eventually,
  header,
  insertAssignment,
  ownerAssigned,
  READ_MODEL_SQL,
  type RunningConsumer,
  startConsumer,
  TENANT,
  TestKafka,
} from './consumer.fixtures';
import { type ApplyEvent } from './message-processor';

describe('consumer runtime: delivery guarantees on the real broker', () => {
  let db: IsolatedDatabase;
  let pool: Pool;
  let kafka: TestKafka;
  const running: RunningConsumer[] = [];

  const optionsFor = (
    groupId: string,
    overrides: Partial<ConsumerRuntimeOptions> = {},
  ): ConsumerRuntimeOptions => ({
    clientId: 'delivery-test',
    brokers: testInfrastructure().kafkaBrokers,
    groupId,
    pool,
    knownTenant: (tenantId) => tenantId === TENANT,
    retry: { attempts: 3, baseMs: 20, maxMs: 100 },
    ...overrides,
  });

  const start = async (topic: string, options: ConsumerRuntimeOptions, apply?: ApplyEvent) => {
    const consumer = await startConsumer(topic, options, apply);
    running.push(consumer);
    return consumer;
  };

  const stop = async (consumer: RunningConsumer) => {
    await consumer.app.close();
    running.splice(running.indexOf(consumer), 1);
  };

  beforeAll(async () => {
    db = await createIsolatedDatabase('consumer_delivery');
    pool = testPool(db.url, { max: 8 });
    await pool.query(READ_MODEL_SQL);
    kafka = new TestKafka(testInfrastructure().kafkaBrokers);
    await kafka.connect();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.app.close()));
  });

  afterAll(async () => {
    await kafka?.close();
    await pool?.end();
    await db?.drop();
  });

  it('applies a redelivered message (same ce_id) once, also when the group re-reads the partition', async () => {
    const topic = uniqueName('consumer-redelivery');
    const groupId = uniqueName('group');
    await kafka.createTopic(topic, 1);
    const event = ownerAssigned('ticket-r');
    await kafka.send(topic, event);
    await kafka.send(topic, event);
    const after = ownerAssigned('ticket-r');
    await kafka.send(topic, after);

    const first = await start(topic, optionsFor(groupId));
    // Counted after COMMIT (a row can be visible a moment before its counter moves): wait for the counters.
    await eventually(
      () => first.metrics.snapshot().applied + first.metrics.snapshot().duplicates === 3,
      () => JSON.stringify(first.metrics.snapshot()),
    );
    expect(first.metrics.snapshot()).toMatchObject({ consumed: 3, applied: 2, duplicates: 1 });
    await stop(first);

    // The group rewinds (as after a crash before a commit): everything is redelivered.
    await kafka.admin.resetOffsets({ groupId, topic, earliest: true });
    const second = await start(topic, optionsFor(groupId));
    await eventually(
      () => second.metrics.snapshot().duplicates === 3,
      () => JSON.stringify(second.metrics.snapshot()),
    );
    expect(second.metrics.snapshot()).toMatchObject({ applied: 0, duplicates: 3 });
    const rows = await applications(pool);
    expect(rows.get(event.id)).toBe(1);
    expect(rows.get(after.id)).toBe(1);
  });

  it('retries a transient error and applies the message once, its failed attempts rolled back', async () => {
    const topic = uniqueName('consumer-transient');
    await kafka.createTopic(topic, 1);
    const event = ownerAssigned('ticket-t');
    let calls = 0;
    const flaky: ApplyEvent = async (e, tx) => {
      // The insert happens before the failure: only a rollback keeps it from counting twice.
      await insertAssignment(e, tx);
      calls += 1;
      if (calls <= 2) throw new TransientError(`lock busy (call ${calls})`);
    };
    await kafka.send(topic, event);
    const consumer = await start(topic, optionsFor(uniqueName('group')), flaky);
    await eventually(
      () => consumer.metrics.snapshot().applied === 1,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(calls).toBe(3);
    expect(consumer.metrics.snapshot()).toMatchObject({ retried: 2, deadLettered: {} });
    expect((await applications(pool)).get(event.id)).toBe(1);
  });

  it('parks a message whose handler keeps failing after N attempts, then applies the next one', async () => {
    const topic = uniqueName('consumer-persistent');
    const groupId = uniqueName('group');
    await kafka.createTopic(topic, 1);
    const doomed = ownerAssigned('ticket-p');
    const next = ownerAssigned('ticket-p');
    let attempts = 0;
    const failing: ApplyEvent = async (e, tx) => {
      if (e.id === doomed.id) {
        attempts += 1;
        throw new Error('projection bug: owner unknown');
      }
      await insertAssignment(e, tx);
    };
    await kafka.send(topic, doomed);
    await kafka.send(topic, next);
    const consumer = await start(topic, optionsFor(groupId), failing);
    await eventually(
      async () => (await applications(pool)).get(next.id) === 1,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(attempts).toBe(3);
    const [parked] = await kafka.readAll(deadLetterTopic(topic), 1);
    expect(header(parked!.headers, 'dlq_reason')).toBe('handler-error');
    expect(header(parked!.headers, 'dlq_attempts')).toBe('3');
    expect(header(parked!.headers, 'dlq_error')).toContain('projection bug');
    expect(header(parked!.headers, 'ce_id')).toBe(doomed.id);
    expect(consumer.metrics.snapshot()).toMatchObject({ retried: 2, deadLettered: { 'handler-error': 1 } });
    expect((await applications(pool)).has(doomed.id)).toBe(false);
  });

  it('splits partitions between two instances and applies everything exactly once through rebalances', async () => {
    const topic = uniqueName('consumer-rebalance');
    const groupId = uniqueName('group');
    const partitions = 4;
    await kafka.createTopic(topic, partitions);
    const options = optionsFor(groupId);
    const poolB = testPool(db.url, { max: 4 });
    try {
      const produced: string[] = [];
      let producing = true;
      const producer = (async () => {
        for (let i = 0; producing; i++) {
          const batch = Array.from({ length: 10 }, (_, j) => ownerAssigned(`ticket-${(i * 10 + j) % 37}`));
          for (const e of batch) await kafka.send(topic, e);
          produced.push(...batch.map((e) => e.id));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      const a = await start(topic, options);
      await eventually(
        () => a.metrics.snapshot().applied > 50,
        () => 'instance A applies nothing',
      );
      const b = await start(topic, { ...options, pool: poolB });
      await eventually(
        () => {
          const [sa, sb] = [a.metrics.snapshot(), b.metrics.snapshot()];
          const owned = [...(sa.assignment[topic] ?? []), ...(sb.assignment[topic] ?? [])].sort();
          return (
            (sa.assignment[topic]?.length ?? 0) > 0 &&
            (sb.assignment[topic]?.length ?? 0) > 0 &&
            JSON.stringify(owned) === JSON.stringify([0, 1, 2, 3])
          );
        },
        () =>
          `A ${JSON.stringify(a.metrics.snapshot().assignment)} B ${JSON.stringify(b.metrics.snapshot().assignment)}`,
      );
      const appliedByBAtSplit = b.metrics.snapshot().applied;
      await eventually(
        () => b.metrics.snapshot().applied > appliedByBAtSplit,
        () => 'instance B applies nothing',
      );

      // A leaves while messages keep coming: its partitions move to B.
      await stop(a);
      await eventually(
        () => (b.metrics.snapshot().assignment[topic]?.length ?? 0) === partitions,
        () => `B ${JSON.stringify(b.metrics.snapshot().assignment)}`,
      );
      producing = false;
      await producer;

      await eventually(
        async () => {
          const rows = await applications(pool);
          return produced.every((id) => rows.has(id));
        },
        async () => {
          const rows = await applications(pool);
          return `${produced.filter((id) => !rows.has(id)).length} of ${produced.length} missing`;
        },
        60_000,
      );
      const rows = await applications(pool);
      expect(new Set(produced).size).toBe(produced.length);
      expect(produced.filter((id) => rows.get(id) !== 1)).toEqual([]);
      expect(b.metrics.snapshot().totalLag).toBe(0);
    } finally {
      await poolB.end();
    }
  }, 120_000);
});

import {
  createIsolatedDatabase,
  overriding,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { deadLetterTopic, toKafkaMessage, type PublicEventEnvelope } from '@handoff/contracts';
import { Controller, Inject, Module } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { type Pool, type PoolClient } from 'pg';
import { ConsumerMetrics } from './consumer-metrics';
import { createConsumerMicroservice } from './consumer-microservice.factory';
import { ConsumerRuntimeModule } from './consumer-runtime.module';
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
import { type ApplyEvent, MessageProcessor } from './message-processor';

/**
 * Batch mode (the default): the messages fetched for a partition are applied in one transaction, and
 * a failure inside it rolls the batch back and replays it message by message. Every message of a
 * test is produced before the consumer starts, so the first fetch returns them as one batch.
 */
describe('consumer runtime: batch mode on the real broker', () => {
  let db: IsolatedDatabase;
  let pool: Pool;
  let kafka: TestKafka;
  const running: RunningConsumer[] = [];

  const optionsFor = (overrides: Partial<ConsumerRuntimeOptions> = {}): ConsumerRuntimeOptions => ({
    clientId: 'batch-test',
    brokers: testInfrastructure().kafkaBrokers,
    groupId: uniqueName('group'),
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

  /** Sends `events` to one partition in one produce request (so they are fetched as one batch). */
  const sendBatch = async (topic: string, events: PublicEventEnvelope[], partition = 0) => {
    await kafka.producer.send({
      topic,
      acks: -1,
      messages: events.map((e) => ({ ...toKafkaMessage(e), partition })),
    });
  };

  /** Messages in `topic`, over all partitions. */
  const messagesIn = async (topic: string) =>
    (await kafka.admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);

  /** Inserts into the read model and notes the id of the transaction that applied each event. */
  const recordingTransactions = (transactions: Map<string, string>): ApplyEvent => {
    return async (event, tx: PoolClient) => {
      await insertAssignment(event, tx);
      const { rows } = await tx.query<{ txid: string }>('SELECT txid_current()::text AS txid');
      transactions.set(event.id, rows[0]!.txid);
    };
  };

  beforeAll(async () => {
    db = await createIsolatedDatabase('consumer_batch');
    pool = testPool(db.url, { max: 8 });
    await pool.query(READ_MODEL_SQL);
    await pool.query(
      'CREATE TABLE application_order (seq bigserial PRIMARY KEY, ticket_id text NOT NULL, event_id text NOT NULL)',
    );
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

  it('applies a clean batch in one transaction, each event once', async () => {
    const topic = uniqueName('consumer-batch-clean');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 20 }, (_, i) => ownerAssigned(`ticket-c${i % 3}`));
    await sendBatch(topic, events);
    const transactions = new Map<string, string>();
    const consumer = await start(topic, optionsFor(), recordingTransactions(transactions));
    await eventually(
      () => consumer.metrics.snapshot().applied === events.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    const rows = await applications(pool);
    expect(events.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
    expect(new Set(transactions.values()).size).toBe(1);
    expect(consumer.metrics.snapshot()).toMatchObject({
      consumed: 20,
      applied: 20,
      duplicates: 0,
      retried: 0,
    });
  });

  it("applies concurrent partitions' batches each in its own transaction, never mixing them up", async () => {
    const topic = uniqueName('consumer-batch-partitions');
    const partitions = 3;
    await kafka.createTopic(topic, partitions);
    // The same offsets (0..11) on every partition: only the partition tells the batches apart.
    const sent = Array.from({ length: partitions }, (_, p) =>
      Array.from({ length: 12 }, () => ownerAssigned(`ticket-p${p}`)),
    );
    for (let p = 0; p < partitions; p++) await sendBatch(topic, sent[p]!, p);
    const transactions = new Map<string, string>();
    const spans = new Map<string, { from: number; to: number }>();
    const slowly: ApplyEvent = async (event, tx) => {
      const from = performance.now();
      await recordingTransactions(transactions)(event, tx);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const txid = transactions.get(event.id)!;
      const span = spans.get(txid) ?? { from, to: 0 };
      spans.set(txid, { from: Math.min(span.from, from), to: performance.now() });
    };
    const consumer = await start(topic, optionsFor({ partitionsConsumedConcurrently: partitions }), slowly);
    const total = partitions * 12;
    await eventually(
      () => consumer.metrics.snapshot().applied === total,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    const rows = await applications(pool);
    expect(sent.flat().filter((e) => rows.get(e.id) !== 1)).toEqual([]);
    // One transaction per partition's batch, none shared between partitions.
    const perPartition = sent.map((events) => new Set(events.map((e) => transactions.get(e.id))));
    expect(perPartition.map((txids) => txids.size)).toEqual([1, 1, 1]);
    expect(new Set(perPartition.map((txids) => [...txids][0])).size).toBe(partitions);
    // And the batches did run at the same time (else this would prove nothing).
    const ranges = [...spans.values()].sort((a, b) => a.from - b.from);
    expect(ranges.some((range, i) => i > 0 && range.from < ranges[i - 1]!.to)).toBe(true);
    expect(consumer.metrics.snapshot()).toMatchObject({ consumed: total, applied: total, retried: 0 });
  });

  it('parks a poison message in the middle of a batch and applies every other message exactly once', async () => {
    const topic = uniqueName('consumer-batch-poison');
    await kafka.createTopic(topic, 1);
    const before = Array.from({ length: 5 }, () => ownerAssigned('ticket-p'));
    const doomed = ownerAssigned('ticket-p');
    const after = Array.from({ length: 5 }, () => ownerAssigned('ticket-p'));
    const invalid = toKafkaMessage(ownerAssigned('ticket-p'));
    const invalidValue = Buffer.from(JSON.stringify({ tenantId: TENANT, owner: 'not an object' }));
    let doomedCalls = 0;
    const transactions = new Map<string, string>();
    const recording = recordingTransactions(transactions);
    const apply: ApplyEvent = async (e, tx) => {
      if (e.id === doomed.id) {
        doomedCalls += 1;
        throw new Error('projection bug: owner unknown');
      }
      await recording(e, tx);
    };
    // before[0..4], an invalid message, doomed, after[0..4]: one produce request, one batch.
    await kafka.producer.send({
      topic,
      acks: -1,
      messages: [
        ...before.map((e) => ({ ...toKafkaMessage(e), partition: 0 })),
        { key: invalid.key, value: invalidValue, headers: invalid.headers, partition: 0 },
        { ...toKafkaMessage(doomed), partition: 0 },
        ...after.map((e) => ({ ...toKafkaMessage(e), partition: 0 })),
      ],
    });

    const consumer = await start(topic, optionsFor(), apply);
    const good = [...before, ...after];
    await eventually(
      async () => {
        const rows = await applications(pool);
        return good.every((e) => rows.has(e.id));
      },
      () => JSON.stringify(consumer.metrics.snapshot()),
    );

    const rows = await applications(pool);
    expect(good.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
    expect(rows.has(doomed.id)).toBe(false);
    // The handler error costs the batch: it was replayed message by message, each in its own transaction.
    expect(new Set(good.map((e) => transactions.get(e.id))).size).toBe(good.length);
    // As on the per-message path: three attempts in all, the batch's counted as the first.
    expect(doomedCalls).toBe(3);

    const parked = await kafka.readAll(deadLetterTopic(topic), 2);
    const byReason = new Map(parked.map((p) => [header(p.headers, 'dlq_reason'), p]));
    const schema = byReason.get('schema-violation');
    expect(schema?.value?.equals(invalidValue)).toBe(true);
    expect(header(schema!.headers, 'dlq_original_offset')).toBe('5');
    expect(header(schema!.headers, 'dlq_attempts')).toBe('0');
    const handlerError = byReason.get('handler-error');
    expect(handlerError?.value?.equals(toKafkaMessage(doomed).value)).toBe(true);
    expect(header(handlerError!.headers, 'ce_id')).toBe(doomed.id);
    expect(header(handlerError!.headers, 'dlq_original_offset')).toBe('6');
    expect(header(handlerError!.headers, 'dlq_attempts')).toBe('3');
    expect(header(handlerError!.headers, 'dlq_error')).toContain('projection bug');
    // Parked once each: the rollback of the batch did not write the invalid message's dead letter twice.
    expect(await messagesIn(deadLetterTopic(topic))).toBe(2);
    expect(consumer.metrics.snapshot()).toMatchObject({
      consumed: 12,
      applied: 10,
      duplicates: 0,
      retried: 2,
      deadLettered: { 'schema-violation': 1, 'handler-error': 1 },
    });
    expect(consumer.metrics.snapshot().lag).toEqual({ [`${topic}/0`]: 0 });
  });

  it('retries a transient error inside a batch and applies every message once', async () => {
    const topic = uniqueName('consumer-batch-transient');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 8 }, () => ownerAssigned('ticket-t'));
    const flakyId = events[3]!.id;
    let flakyCalls = 0;
    const flaky: ApplyEvent = async (e, tx) => {
      // The insert happens before the failure: only the rollback keeps it from counting twice.
      await insertAssignment(e, tx);
      if (e.id === flakyId) {
        flakyCalls += 1;
        if (flakyCalls === 1) throw new TransientError('lock busy');
      }
    };
    await sendBatch(topic, events);
    const consumer = await start(topic, optionsFor(), flaky);
    await eventually(
      () => consumer.metrics.snapshot().applied === events.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    const rows = await applications(pool);
    expect(events.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
    expect(flakyCalls).toBe(2);
    expect(consumer.metrics.snapshot()).toMatchObject({
      consumed: 8,
      applied: 8,
      duplicates: 0,
      retried: 1,
      deadLettered: {},
    });
  });

  it('applies a redelivered batch (and a duplicate inside a batch) with no double effect', async () => {
    const topic = uniqueName('consumer-batch-redelivery');
    await kafka.createTopic(topic, 1);
    const options = optionsFor();
    const events = Array.from({ length: 15 }, (_, i) => ownerAssigned(`ticket-r${i % 4}`));
    // The 5th event twice in a row, as a producer retry would leave it.
    await sendBatch(topic, [...events.slice(0, 5), events[4]!, ...events.slice(5)]);
    const transactions = new Map<string, string>();
    const first = await start(topic, options, recordingTransactions(transactions));
    // `consumed` counts on dispatch, `applied` and `duplicates` after the batch's COMMIT: wait for those.
    const settled = (c: RunningConsumer) => () => {
      const m = c.metrics.snapshot();
      return m.applied + m.duplicates === 16;
    };
    await eventually(settled(first), () => JSON.stringify(first.metrics.snapshot()));
    expect(first.metrics.snapshot()).toMatchObject({ applied: 15, duplicates: 1 });
    expect(new Set(transactions.values()).size).toBe(1);
    await stop(first);

    // The group rewinds (as after a crash before the offset commit): the whole batch comes again.
    await kafka.admin.resetOffsets({ groupId: options.groupId, topic, earliest: true });
    const second = await start(topic, options);
    await eventually(settled(second), () => JSON.stringify(second.metrics.snapshot()));
    expect(second.metrics.snapshot()).toMatchObject({ applied: 0, duplicates: 16, deadLettered: {} });
    const rows = await applications(pool);
    expect(events.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
  });

  it('keeps the order of each partition, across batch limits and a replayed batch', async () => {
    const topic = uniqueName('consumer-batch-order');
    const partitions = 3;
    await kafka.createTopic(topic, partitions);
    const tickets = ['ticket-o0', 'ticket-o1', 'ticket-o2', 'ticket-o3', 'ticket-o4', 'ticket-o5'];
    const partitionOf = (ticket: string) => tickets.indexOf(ticket) % partitions;
    const sent = new Map<string, string[]>(tickets.map((t) => [t, []]));
    const all: PublicEventEnvelope[] = [];
    for (let p = 0; p < partitions; p++) {
      const events = Array.from({ length: 60 }, (_, i) =>
        ownerAssigned(tickets.filter((t) => partitionOf(t) === p)[i % 2]!),
      );
      for (const e of events) sent.get(e.subject)!.push(e.id);
      all.push(...events);
      await sendBatch(topic, events, p);
    }
    const flakyId = all[70]!.id;
    let flakyCalls = 0;
    const ordered: ApplyEvent = async (e, tx) => {
      await tx.query('INSERT INTO application_order (ticket_id, event_id) VALUES ($1, $2)', [
        e.subject,
        e.id,
      ]);
      if (e.id === flakyId && ++flakyCalls === 1) throw new TransientError('lock busy');
    };
    const consumer = await start(
      topic,
      optionsFor({ maxBatchMessages: 7, partitionsConsumedConcurrently: partitions }),
      ordered,
    );
    await eventually(
      () => consumer.metrics.snapshot().applied === all.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    const { rows } = await pool.query<{ ticket_id: string; event_id: string }>(
      'SELECT ticket_id, event_id FROM application_order WHERE ticket_id = ANY($1) ORDER BY seq',
      [tickets],
    );
    const applied = new Map<string, string[]>(tickets.map((t) => [t, []]));
    for (const row of rows) applied.get(row.ticket_id)!.push(row.event_id);
    for (const ticket of tickets) expect(applied.get(ticket)).toEqual(sent.get(ticket));
    expect(flakyCalls).toBe(2);
    expect(consumer.metrics.snapshot()).toMatchObject({ consumed: all.length, retried: 1, duplicates: 0 });
  });

  it("hands each batch's fresh valid events to prepareBatch before its handlers, and survives its failure", async () => {
    const topic = uniqueName('consumer-batch-prepare');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 6 }, (_, i) => ownerAssigned(`ticket-q${i % 2}`));
    const invalid = toKafkaMessage(ownerAssigned('ticket-q0'));
    await kafka.producer.send({
      topic,
      acks: -1,
      messages: [
        ...events.slice(0, 3).map((e) => ({ ...toKafkaMessage(e), partition: 0 })),
        {
          key: invalid.key,
          value: Buffer.from('{"not":"an event"}'),
          headers: invalid.headers,
          partition: 0,
        },
        ...events.slice(3).map((e) => ({ ...toKafkaMessage(e), partition: 0 })),
      ],
    });
    const log: string[] = [];
    const recording: ApplyEvent = async (e, tx) => {
      log.push(`apply ${e.id}`);
      await insertAssignment(e, tx);
    };
    const options = optionsFor({
      prepareBatch: (preparedTopic, prepared) => {
        log.push(`prepare ${preparedTopic} ${prepared.map((e) => e.id).join(',')}`);
        return Promise.resolve();
      },
    });
    const first = await start(topic, options, recording);
    await eventually(
      () => first.metrics.snapshot().applied === events.length,
      () => JSON.stringify(first.metrics.snapshot()),
    );
    // The valid events, in offset order, once, before any handler of the batch.
    expect(log[0]).toBe(`prepare ${topic} ${events.map((e) => e.id).join(',')}`);
    expect(log.slice(1)).toEqual(events.map((e) => `apply ${e.id}`));
    await stop(first);

    // Redelivered: everything was processed before, so there is nothing to prepare.
    log.length = 0;
    await kafka.admin.resetOffsets({ groupId: options.groupId, topic, earliest: true });
    const second = await start(topic, options, recording);
    await eventually(
      () => second.metrics.snapshot().duplicates === events.length,
      () => JSON.stringify(second.metrics.snapshot()),
    );
    expect(log).toEqual([]);
    await stop(second);

    // A failing prepareBatch changes nothing for the handlers.
    const other = uniqueName('consumer-batch-prepare-fails');
    await kafka.createTopic(other, 1);
    const more = Array.from({ length: 4 }, () => ownerAssigned('ticket-q2'));
    await sendBatch(other, more);
    const failing = await start(
      other,
      optionsFor({ prepareBatch: () => Promise.reject(new Error('prepare broke')) }),
    );
    await eventually(
      () => failing.metrics.snapshot().applied === more.length,
      () => JSON.stringify(failing.metrics.snapshot()),
    );
    expect(failing.metrics.snapshot()).toMatchObject({ retried: 0, deadLettered: {} });
    const rows = await applications(pool);
    expect([...events, ...more].filter((e) => rows.get(e.id) !== 1)).toEqual([]);
  });

  it('counts the events prepareBatch says it found done before as duplicates, holding no connection for them', async () => {
    const topic = uniqueName('consumer-batch-completed-duplicates');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 4 }, (_, i) => ownerAssigned(`ticket-d${i}`));
    const handled: string[] = [];
    // The connections the runtime checks out of its pool itself.
    let checkouts = 0;
    const counting = overriding(pool, {
      connect: (() => {
        checkouts += 1;
        return pool.connect();
      }) as Pool['connect'],
    });
    const consumer = await start(
      topic,
      optionsFor({
        pool: counting,
        unrecordedTopics: [topic],
        // Every event completed here; the first two were done before (a redelivery, say).
        prepareBatch: (_topic, prepared) =>
          Promise.resolve(
            new Map(prepared.map((e, i) => [e.id, i < 2 ? ('duplicate' as const) : ('applied' as const)])),
          ),
      }),
      (event) => {
        handled.push(event.id);
        return Promise.resolve();
      },
    );
    checkouts = 0;
    await sendBatch(topic, events);
    await eventually(
      () => {
        const m = consumer.metrics.snapshot();
        return m.applied + m.duplicates === events.length;
      },
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(consumer.metrics.snapshot()).toMatchObject({ consumed: 4, applied: 2, duplicates: 2 });
    expect(handled).toEqual([]);
    // The topic records no ids and prepareBatch completed every message: nothing needed one.
    expect(checkouts).toBe(0);
  });

  it('does not call the handlers of the events prepareBatch says it completed, and counts and records them', async () => {
    const topic = uniqueName('consumer-batch-completed');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 6 }, (_, i) => ownerAssigned(`ticket-c${i % 3}`));
    await sendBatch(topic, events);
    const handled: string[] = [];
    // prepareBatch does the work of the even events itself; the handler does the rest.
    const options = optionsFor({
      prepareBatch: async (_topic, prepared) => {
        const done = prepared.filter((_, i) => i % 2 === 0);
        const client = await pool.connect();
        try {
          for (const event of done) await insertAssignment(event, client);
        } finally {
          client.release();
        }
        return new Set(done.map((e) => e.id));
      },
    });
    const consumer = await start(topic, options, async (event, tx) => {
      handled.push(event.id);
      await insertAssignment(event, tx);
    });
    await eventually(
      () => consumer.metrics.snapshot().applied === events.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(handled).toEqual(events.filter((_, i) => i % 2 === 1).map((e) => e.id));
    expect(consumer.metrics.snapshot()).toMatchObject({ consumed: 6, applied: 6, duplicates: 0 });
    const rows = await applications(pool);
    expect(events.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
    const { rows: recorded } = await pool.query<{ message_id: string }>(
      'SELECT message_id FROM processed_messages WHERE consumer_group = $1',
      [options.groupId],
    );
    expect(new Set(recorded.map((r) => r.message_id))).toEqual(new Set(events.map((e) => e.id)));
  });

  it('records nothing in processed_messages for unrecordedTopics, in batches and one by one: a redelivery reaches the handler again', async () => {
    const topic = uniqueName('consumer-batch-unrecorded');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 6 }, (_, i) => ownerAssigned(`ticket-u${i % 2}`));
    await sendBatch(topic, events);
    const calls = new Map<string, number>();
    const counting: ApplyEvent = (event) => {
      calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
      return Promise.resolve();
    };
    const recordedFor = async (group: string) =>
      Number(
        (
          await pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM processed_messages WHERE consumer_group = $1',
            [group],
          )
        ).rows[0]?.n,
      );
    /** Consumes every event once, stops, rewinds the group and starts again on the same messages. */
    const consumedThenRewound = async (options: ConsumerRuntimeOptions, apply: ApplyEvent) => {
      const first = await start(topic, options, apply);
      await eventually(
        () => first.metrics.snapshot().applied === events.length,
        () => JSON.stringify(first.metrics.snapshot()),
      );
      await stop(first);
      await kafka.admin.resetOffsets({ groupId: options.groupId, topic, earliest: true });
      return start(topic, options, apply);
    };
    for (const batch of [true, false]) {
      calls.clear();
      const options = optionsFor({ batch, unrecordedTopics: [topic] });
      // Rewound: the same messages again, and the handler is called again for each.
      const second = await consumedThenRewound(options, counting);
      await eventually(
        () => second.metrics.snapshot().applied === events.length,
        () => JSON.stringify(second.metrics.snapshot()),
      );
      expect(second.metrics.snapshot()).toMatchObject({ duplicates: 0 });
      expect(events.map((e) => calls.get(e.id))).toEqual(events.map(() => 2));
      expect(await recordedFor(options.groupId)).toBe(0);
    }
    // The same topic without the option records every id.
    const recorded = optionsFor();
    const third = await start(topic, recorded, counting);
    await eventually(
      () => third.metrics.snapshot().applied === events.length,
      () => JSON.stringify(third.metrics.snapshot()),
    );
    expect(await recordedFor(recorded.groupId)).toBe(events.length);

    // A handler that recognises a redelivery says so: counted as a duplicate, in batches and one by one.
    for (const batch of [true, false]) {
      const seen = new Set<string>();
      const recognising: ApplyEvent = (event) => {
        const again = seen.has(event.id);
        seen.add(event.id);
        return Promise.resolve(again ? 'duplicate' : undefined);
      };
      const again = await consumedThenRewound(optionsFor({ batch, unrecordedTopics: [topic] }), recognising);
      await eventually(
        () => again.metrics.snapshot().duplicates === events.length,
        () => JSON.stringify(again.metrics.snapshot()),
      );
      expect(again.metrics.snapshot()).toMatchObject({ applied: 0, consumed: events.length });
      await stop(again);
    }
  });

  it("refuses a handler's process() call for a message outside its batch, and rolls the batch back even when the handler swallows the refusal", async () => {
    const topic = uniqueName('consumer-batch-outside');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 5 }, (_, i) => ownerAssigned(`ticket-o${i}`));
    await sendBatch(topic, events);
    const transactions = new Map<string, string>();
    const record = recordingTransactions(transactions);
    const refusals: string[] = [];
    let attempts = 0;

    // A handler that, while applying the batch's first message the first time, also asks the
    // processor to apply a message of the same partition that is not in the batch.
    @Controller()
    class OutsideController {
      constructor(@Inject(MessageProcessor) private readonly processor: MessageProcessor) {}

      @EventPattern(topic)
      async onEvent(@Ctx() ctx: KafkaContext): Promise<void> {
        await this.processor.process(ctx, async (event, tx) => {
          await record(event, tx);
          if (event.id !== events[0]!.id || attempts++ > 0) return;
          const [message, partition, , consumer, heartbeat, producer] = ctx.getArgs();
          const outside = new KafkaContext([
            { ...message, offset: '999999' },
            partition,
            topic,
            consumer,
            heartbeat,
            producer,
          ]);
          await this.processor.process(outside, insertAssignment).catch((error: unknown) => {
            refusals.push(String(error));
          });
        });
      }
    }
    @Module({ imports: [ConsumerRuntimeModule.forRoot(optionsFor())], controllers: [OutsideController] })
    class OutsideModule {}

    const app = await createConsumerMicroservice(OutsideModule, optionsFor(), { logger: ['error'] });
    await app.listen();
    const consumer: RunningConsumer = { app, metrics: app.get(ConsumerMetrics) };
    running.push(consumer);
    await eventually(
      () => consumer.metrics.snapshot().applied === events.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(refusals).toEqual([
      `Error: process() called with ${topic}/0@999999, which is not in the batch being processed`,
    ]);
    // The batch's transaction was rolled back (the first message's row with it), then every
    // message was applied once, each in its own transaction, on the per-message path.
    const rows = await applications(pool);
    expect(events.map((e) => rows.get(e.id))).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(events.map((e) => transactions.get(e.id))).size).toBe(events.length);
    expect(consumer.metrics.snapshot()).toMatchObject({ consumed: 5, applied: 5, duplicates: 0 });
  });

  it('still processes message by message with batch: false', async () => {
    const topic = uniqueName('consumer-batch-off');
    await kafka.createTopic(topic, 1);
    const events = Array.from({ length: 5 }, () => ownerAssigned('ticket-n'));
    await sendBatch(topic, events);
    const transactions = new Map<string, string>();
    const consumer = await start(topic, optionsFor({ batch: false }), recordingTransactions(transactions));
    await eventually(
      () => consumer.metrics.snapshot().applied === events.length,
      () => JSON.stringify(consumer.metrics.snapshot()),
    );
    expect(new Set(transactions.values()).size).toBe(events.length);
    const rows = await applications(pool);
    expect(events.filter((e) => rows.get(e.id) !== 1)).toEqual([]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { type Pool } from 'pg';
import { Kafka as CloudEventsKafka, type CloudEvent, type KafkaMessage } from 'cloudevents';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  fromKafkaMessage,
  publicEventExamples,
  publicEventTypes,
  toKafkaMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { PostgresEventStore, type NewEvent } from '@handoff/event-store';
import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { deriveEventId } from './derive-event-id';
import { OutboxRelay, type RelayFailure } from './outbox-relay';
import { PostgresRelayCheckpointStore } from './relay-checkpoint-store';
import {
  appendTicketEvents,
  encodeTestEnvelope,
  readTopic,
  TEST_CATEGORY,
  testMapper,
  type ConsumedRecord,
  type TestEnvelope,
} from './testing/relay-fixtures';
import type { RelayProcessConfig } from './testing/relay.process';
import { createTopicsAndWait } from '../provisioning/provision-topics';

const ROOT = path.resolve(__dirname, '../../../..');
const { kafkaBrokers } = testInfrastructure();

let database: IsolatedDatabase;
let pool: Pool;
let admin: Admin;
const kafka = new Kafka({ clientId: 'relay-int-spec', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
const topics: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  database = await createIsolatedDatabase('relay');
  pool = testPool(database.url, { max: 8 });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
  await database?.drop();
});

async function createTopic(label: string, partitions = 3): Promise<string> {
  const topic = uniqueName(label);
  await createTopicsAndWait(admin, [{ topic, numPartitions: partitions }]);
  topics.push(topic);
  return topic;
}

async function setUp(options: { topic?: string } = {}) {
  const suffix = crypto.randomBytes(4).toString('hex');
  const storeSchema = `es_${suffix}`;
  const checkpointSchema = `relay_${suffix}`;
  const store = new PostgresEventStore({ connection: pool, schema: storeSchema, pollIntervalMs: 50 });
  await store.init();
  const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: checkpointSchema });
  await checkpoints.init();
  cleanups.push(() => store.close());
  const topic = options.topic ?? (await createTopic('relay'));
  return { store, checkpoints, topic, storeSchema, checkpointSchema, relayName: `relay-${suffix}` };
}

function makeRelay(
  env: Awaited<ReturnType<typeof setUp>>,
  overrides: Partial<ConstructorParameters<typeof OutboxRelay<TestEnvelope>>[0]> = {},
): OutboxRelay<TestEnvelope> {
  const relay = new OutboxRelay<TestEnvelope>({
    name: env.relayName,
    store: env.store,
    categories: [TEST_CATEGORY],
    map: testMapper,
    encode: encodeTestEnvelope,
    topic: env.topic,
    kafka,
    checkpoints: env.checkpoints,
    batchSize: 100,
    ...overrides,
  });
  cleanups.push(() => relay.stop());
  return relay;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** ce_ids per key in partition order, first occurrences only, and the partitions each key used. */
function firstOccurrencesByKey(records: ConsumedRecord[]) {
  const byKey = new Map<string, { ids: string[]; seen: Set<string>; partitions: Set<number> }>();
  const ordered = [...records].sort(
    (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
  );
  for (const record of ordered) {
    const id = record.headers.ce_id ?? '';
    let entry = byKey.get(record.key);
    if (!entry) byKey.set(record.key, (entry = { ids: [], seen: new Set(), partitions: new Set() }));
    entry.partitions.add(record.partition);
    if (!entry.seen.has(id)) {
      entry.seen.add(id);
      entry.ids.push(id);
    }
  }
  return byKey;
}

/** The expected ce_ids per ticket, in stream order, read back from the store. */
async function expectedIdsByTicket(store: PostgresEventStore): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  for (const event of await store.readAll()) {
    if (!event.streamName.startsWith(`${TEST_CATEGORY}-`)) continue;
    const ticketId = event.metadata.ticketId ?? '';
    const ids = expected.get(ticketId) ?? [];
    ids.push(...testMapper(event).map((envelope) => envelope.id));
    expected.set(ticketId, ids);
  }
  return expected;
}

const uniqueIds = (records: ConsumedRecord[]) => new Set(records.map((r) => r.headers.ce_id));

describe('OutboxRelay on the real broker', () => {
  it('publishes the mapped events keyed by ticket, in order per key across 3 partitions, then checkpoints', async () => {
    const env = await setUp();
    const { ticketIds, lastPosition } = await appendTicketEvents(env.store, { tickets: 12, perTicket: 25 });
    const extra = (type: string, ticketId: string): NewEvent => ({
      type,
      data: { note: type },
      metadata: {
        tenantId: 'tenant-1',
        ticketId,
        correlationId: ticketId,
        actor: { kind: 'agent', id: 'a1' },
        occurredAt: new Date().toISOString(),
      },
    });
    // An internal-only event (mapped to nothing) and a 1:2 mapping, in the middle of a stream.
    await env.store.append(`${TEST_CATEGORY}-t0`, [extra('TicketNoted', 't0'), extra('TicketSplit', 't0')], {
      expectedRevision: 'any',
    });
    const { lastPosition: finalPosition } = await appendTicketEvents(env.store, {
      tickets: 12,
      perTicket: 5,
      prefix: 't',
    });
    // An event of another category is not this relay's to publish.
    await env.store.append('othercategory-t0', [extra('TicketProgressed', 't0')], {
      expectedRevision: 'any',
    });
    expect(finalPosition).toBeGreaterThan(lastPosition);

    const relay = makeRelay(env, { batchSize: 37 });
    relay.start();
    const expected = await expectedIdsByTicket(env.store);
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBe(12 * 30 + 2); // 360 progressed, 2 split parts, nothing for the noted one
    await waitFor(() => relay.metrics().published >= total, 30_000, 'published');

    const records = await readTopic(kafkaBrokers, env.topic, (r) => uniqueIds(r).size >= total);
    expect(records).toHaveLength(total);
    const byKey = firstOccurrencesByKey(records);
    expect([...byKey.keys()].sort()).toEqual([...ticketIds].sort());
    const partitionsUsed = new Set(records.map((r) => r.partition));
    expect(partitionsUsed.size).toBe(3);
    for (const [ticketId, ids] of expected) {
      if (ids.length === 0) continue;
      const entry = byKey.get(ticketId);
      expect(entry?.partitions.size).toBe(1);
      expect(entry?.ids).toEqual(ids);
    }
    // The 1:n mapping uses deterministic derived ids; the internal-only event is absent.
    const split = (await env.store.readStream(`${TEST_CATEGORY}-t0`)).find((e) => e.type === 'TicketSplit');
    expect(byKey.get('t0')?.ids).toEqual(expect.arrayContaining([deriveEventId(split?.eventId ?? '', 0)]));

    await waitFor(() => relay.metrics().checkpoint !== undefined, 5_000, 'checkpoint');
    await relay.stop();
    const metrics = relay.metrics();
    expect(metrics.status).toBe('stopped');
    expect(metrics.published).toBe(total);
    expect(await env.checkpoints.load(env.relayName)).toBe(metrics.checkpoint);
    expect(metrics.lag).toBe(0n);
    expect(metrics.failures).toBe(0);
  });

  it('produces records the official CloudEvents SDK accepts', async () => {
    const env = await setUp();
    await appendTicketEvents(env.store, { tickets: 3, perTicket: 2 });
    const relay = makeRelay(env);
    relay.start();
    const records = await readTopic(kafkaBrokers, env.topic, (r) => r.length >= 6);
    await relay.stop();
    expect(records).toHaveLength(6);
    for (const record of records) {
      // The SDK's Kafka binding reads `value`; `body` is the generic Message field it ignores here.
      const message: KafkaMessage = {
        key: record.key,
        value: record.value,
        headers: record.headers,
        body: record.value,
      };
      const event = CloudEventsKafka.toEvent(message) as CloudEvent<unknown> | CloudEvent<unknown>[];
      const single = Array.isArray(event) ? event[0] : event;
      expect(single?.validate()).toBe(true);
      expect(single?.specversion).toBe('1.0');
      expect(single?.subject).toBe(record.key);
      expect(single?.id).toBe(record.headers.ce_id);
    }
  });

  it('publishes contract envelopes encoded by toKafkaMessage that fromKafkaMessage and the CloudEvents SDK accept', async () => {
    const env = await setUp();
    await appendTicketEvents(env.store, { tickets: 2, perTicket: 2 });
    const [type, data] = Object.entries(publicEventExamples)[0] as [
      keyof typeof publicEventTypes,
      Record<string, unknown>,
    ];
    const subject = String(data[publicEventTypes[type].subject]);
    const relay = new OutboxRelay<PublicEventEnvelope>({
      name: env.relayName,
      store: env.store,
      categories: [TEST_CATEGORY],
      // Every internal event maps to the contract's example of one public type (the data is fixed).
      map: (event) => [
        {
          id: event.eventId,
          source: '/handoff/relay-test',
          type,
          subject,
          time: event.metadata.occurredAt,
          tenantId: String(data.tenantId),
          data,
        } as PublicEventEnvelope,
      ],
      encode: toKafkaMessage,
      topic: env.topic,
      kafka,
      checkpoints: env.checkpoints,
    });
    cleanups.push(() => relay.stop());
    relay.start();
    const records = await readTopic(kafkaBrokers, env.topic, (r) => r.length >= 4);
    await relay.stop();
    expect(records).toHaveLength(4);
    for (const record of records) {
      const decoded = fromKafkaMessage({ key: record.key, value: record.value, headers: record.headers });
      expect(decoded).toMatchObject({ type, subject, id: record.headers.ce_id });
      const message: KafkaMessage = {
        key: record.key,
        value: record.value,
        headers: record.headers,
        body: record.value,
      };
      const event = CloudEventsKafka.toEvent(message) as CloudEvent<unknown> | CloudEvent<unknown>[];
      expect((Array.isArray(event) ? event[0] : event)?.validate()).toBe(true);
    }
  });

  it('resumes after a SIGKILL mid-stream: every event on the topic, per-key order kept, duplicates only as the same ce_id', async () => {
    const env = await setUp();
    const { lastPosition } = await appendTicketEvents(env.store, { tickets: 20, perTicket: 100, batch: 10 });
    const config: RelayProcessConfig = {
      databaseUrl: database.url,
      storeSchema: env.storeSchema,
      checkpointSchema: env.checkpointSchema,
      brokers: kafkaBrokers,
      topic: env.topic,
      relayName: env.relayName,
      batchSize: 20,
      // Slows the first run down so that the kill lands mid-stream on a fast machine too.
      saveDelayMs: 20,
    };

    // First run: killed as soon as it has checkpointed part of the stream.
    const first = startRelayProcess(config);
    let killedAt: bigint | undefined;
    try {
      await waitFor(
        async () => {
          const saved = await env.checkpoints.load(env.relayName);
          if (saved !== undefined && saved > 0n) killedAt = saved;
          return killedAt !== undefined;
        },
        60_000,
        'a first checkpoint',
      );
    } finally {
      first.child.kill('SIGKILL');
    }
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    const checkpointAfterKill = await env.checkpoints.load(env.relayName);
    expect(checkpointAfterKill).toBeDefined();
    expect(checkpointAfterKill ?? 0n).toBeLessThan(lastPosition); // it really was killed mid-stream

    // Second run resumes from the checkpoint and stops once everything is acknowledged.
    const second = startRelayProcess({ ...config, saveDelayMs: 0, untilPosition: lastPosition.toString() });
    const secondExit = await second.exited;
    expect({ code: secondExit.code, stderr: second.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(await env.checkpoints.load(env.relayName)).toBe(lastPosition);

    const expected = await expectedIdsByTicket(env.store);
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBe(2_000);
    const records = await readTopic(kafkaBrokers, env.topic, (r) => uniqueIds(r).size >= total, 60_000);
    expect(uniqueIds(records).size).toBe(total);
    // Duplicates are whole republished records: same ce_id, same key, same payload.
    const firstSeen = new Map<string, ConsumedRecord>();
    for (const record of records) {
      const id = record.headers.ce_id ?? '';
      const earlier = firstSeen.get(id);
      if (earlier) {
        expect(record.key).toBe(earlier.key);
        expect(record.value.equals(earlier.value)).toBe(true);
      } else firstSeen.set(id, record);
    }
    const byKey = firstOccurrencesByKey(records);
    for (const [ticketId, ids] of expected) expect(byKey.get(ticketId)?.ids).toEqual(ids);
    // Record how much the crash cost, for the reader of the test output.
    process.stdout.write(
      `relay SIGKILL test: killed at checkpoint ${String(killedAt)} of ${lastPosition}; ` +
        `${records.length - total} duplicate record(s)\n`,
    );
  }, 120_000);

  it('never moves the checkpoint past an unacknowledged send, reports the failure, and recovers from the checkpoint', async () => {
    const missingTopic = uniqueName('relay-missing'); // not created: every send fails
    const env = await setUp({ topic: missingTopic });
    await appendTicketEvents(env.store, { tickets: 3, perTicket: 10 });
    const failures: RelayFailure[] = [];
    const relay = makeRelay(env, {
      batchSize: 7,
      producerRetry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
      backoff: { initialMs: 50, maxMs: 200 },
      onError: (failure) => failures.push(failure),
    });
    relay.start();
    await waitFor(() => failures.length >= 3, 60_000, 'three failures');
    expect(await env.checkpoints.load(env.relayName)).toBeUndefined();
    expect(relay.metrics()).toMatchObject({ published: 0, checkpoint: undefined });
    expect(relay.metrics().lag).toBeGreaterThan(0n);
    expect(failures.map((f) => f.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    expect(String(failures[0]?.error)).toMatch(/topic|partition/i);
    expect(failures[2]?.restartInMs).toBe(200);

    // Once the topic exists the relay resumes by itself and publishes everything from the start.
    await createTopicsAndWait(admin, [{ topic: missingTopic, numPartitions: 3 }]);
    topics.push(missingTopic);
    await waitFor(() => relay.metrics().relayed >= 30, 60_000, 'recovery');
    await relay.stop();
    const records = await readTopic(kafkaBrokers, missingTopic, (r) => uniqueIds(r).size >= 30);
    expect(uniqueIds(records).size).toBe(30);
    const last = (await env.store.readAll()).at(-1);
    expect(await env.checkpoints.load(env.relayName)).toBe(last?.globalPosition);
  }, 120_000);

  it('stop() sends what was accumulated, checkpoints it, and a restart publishes only new events', async () => {
    const env = await setUp();
    await appendTicketEvents(env.store, { tickets: 2, perTicket: 3 });
    // A long linger and a large batch: only stop() can flush these six events.
    const relay = makeRelay(env, { batchSize: 1_000, lingerMs: 60_000 });
    relay.start();
    await waitFor(() => relay.metrics().lastSeenPosition !== undefined, 10_000, 'delivery');
    await waitFor(
      async () => (await env.store.readAll()).at(-1)?.globalPosition === relay.metrics().lastSeenPosition,
    );
    expect(relay.metrics().published).toBe(0);
    await relay.stop();
    expect(relay.metrics()).toMatchObject({ published: 6, relayed: 6, status: 'stopped' });

    await appendTicketEvents(env.store, { tickets: 2, perTicket: 1, prefix: 'late' });
    const again = makeRelay(env, { lingerMs: 1 });
    again.start();
    await waitFor(() => again.metrics().relayed >= 2, 20_000, 'second run');
    await again.stop();
    expect(again.metrics().published).toBe(2);
    const records = await readTopic(kafkaBrokers, env.topic, (r) => r.length >= 8);
    expect(records).toHaveLength(8);
  });
});

function startRelayProcess(config: RelayProcessConfig): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
} {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(ROOT, 'scripts/ts-register.cjs'),
      path.join(__dirname, 'testing/relay.process.ts'),
      JSON.stringify(config),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, stderr: () => stderr };
}

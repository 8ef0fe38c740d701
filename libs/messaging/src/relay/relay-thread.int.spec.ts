import crypto from 'node:crypto';
import path from 'node:path';
import { type Pool } from 'pg';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { PostgresEventStore } from '@handoff/event-store';
import {
  createIsolatedDatabase,
  testInfrastructure,
  testPool,
  uniqueName,
  type IsolatedDatabase,
} from '@handoff/testing';
import { createTopicsAndWait } from '../provisioning/provision-topics';
import { PostgresRelayCheckpointStore } from './relay-checkpoint-store';
import { RelayThread, type RelayThreadFailure } from './relay-thread';
import { appendTicketEvents, readTopic } from './testing/relay-fixtures';
import type { TestRelaySettings } from './testing/relay-thread.fixture';

const FIXTURE = path.join(__dirname, 'testing/relay-thread.fixture.ts');
const { kafkaBrokers } = testInfrastructure();

let database: IsolatedDatabase;
let pool: Pool;
let admin: Admin;
const topics: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  database = await createIsolatedDatabase('relay_thread');
  pool = testPool(database.url, { max: 4 });
  admin = new Kafka({
    clientId: 'relay-thread-spec',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
  await database?.drop();
});

/** A store and checkpoint table migrated by the host, a topic, and the thread's settings. */
async function setUp() {
  const suffix = crypto.randomBytes(4).toString('hex');
  const settings: TestRelaySettings = {
    databaseUrl: database.url,
    storeSchema: `es_${suffix}`,
    checkpointSchema: `relay_${suffix}`,
    brokers: kafkaBrokers,
    topic: uniqueName('relay-thread'),
    relayName: `relay-thread-${suffix}`,
  };
  const store = new PostgresEventStore({
    connection: pool,
    schema: settings.storeSchema,
    pollIntervalMs: 50,
  });
  await store.init();
  cleanups.push(() => store.close());
  const checkpoints = new PostgresRelayCheckpointStore({
    connection: pool,
    schema: settings.checkpointSchema,
  });
  await checkpoints.init();
  await createTopicsAndWait(admin, [{ topic: settings.topic, numPartitions: 2 }]);
  topics.push(settings.topic);
  return { settings, store, checkpoints };
}

function thread<S>(exportName: string, settings: S, failures: RelayThreadFailure[] = []) {
  const relay = new RelayThread({
    name: 'relay-thread-spec',
    module: FIXTURE,
    exportName,
    settings,
    onError: (failure) => failures.push(failure),
    backoff: { initialMs: 50, maxMs: 200 },
    metricsIntervalMs: 20,
  });
  cleanups.push(() => relay.stop());
  return relay;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RelayThread (real PostgreSQL and Kafka, the relay on a worker thread)', () => {
  it('publishes what the host appends, reports its counters, and resumes from its checkpoint after a stop', async () => {
    const { settings, store, checkpoints } = await setUp();
    const relay = thread('createTestRelay', settings);
    relay.start();
    await relay.running();

    const first = await appendTicketEvents(store, { tickets: 3, perTicket: 4, prefix: 'a' });
    await waitFor(() => relay.metrics().checkpoint === first.lastPosition, 'the first checkpoint');
    expect(relay.metrics()).toMatchObject({ status: 'running', published: 12, relayed: 12, failures: 0 });
    await relay.stop();
    expect(relay.metrics().status).toBe('stopped');
    // The thread saved what it published before it ended.
    expect(await checkpoints.load(settings.relayName)).toBe(first.lastPosition);

    // Appended while no relay runs: the next thread publishes these and nothing twice.
    const second = await appendTicketEvents(store, { tickets: 2, perTicket: 3, prefix: 'b' });
    relay.start();
    await relay.running();
    await waitFor(() => relay.metrics().checkpoint === second.lastPosition, 'the second checkpoint');
    expect(relay.metrics().published).toBe(6);

    const records = await readTopic(kafkaBrokers, settings.topic, (seen) => seen.length >= 18);
    const ids = records.map((r) => r.headers.ce_id);
    expect(ids).toHaveLength(18);
    expect(new Set(ids).size).toBe(18);
    expect(new Set(records.map((r) => r.key))).toEqual(new Set(['a0', 'a1', 'a2', 'b0', 'b1']));
  });

  it("reports the relay's own failures from inside the thread, which keeps running and retrying", async () => {
    const { settings } = await setUp();
    const failures: RelayThreadFailure[] = [];
    // The checkpoint table was never created in this schema: every run of the relay fails loading it.
    const relay = thread(
      'createTestRelay',
      { ...settings, checkpointSchema: 'relay_never_created' },
      failures,
    );
    relay.start();
    await relay.running();
    await waitFor(() => failures.length >= 2, 'two relay failures');
    expect(failures[0]).toMatchObject({ source: 'relay', attempt: 1, restartInMs: 50 });
    expect(failures[0]?.message).toMatch(/relay_never_created/);
    expect(failures[1]).toMatchObject({ source: 'relay', attempt: 2, restartInMs: 100 });
    await waitFor(() => relay.metrics().failures >= 2, 'the failures in the counters');
  });

  it('restarts a thread whose relay cannot be built, with backoff, and says why', async () => {
    const failures: RelayThreadFailure[] = [];
    const relay = thread('createUnbuildableRelay', { reason: 'no brokers configured' }, failures);
    relay.start();
    await expect(relay.running(30_000)).rejects.toThrow(/no brokers configured/);
    await waitFor(() => failures.length >= 2, 'two thread failures');
    expect(failures.slice(0, 2)).toEqual([
      { source: 'thread', message: 'Error: no brokers configured', attempt: 1, restartInMs: 50 },
      { source: 'thread', message: 'Error: no brokers configured', attempt: 2, restartInMs: 100 },
    ]);
    await relay.stop();
    const reported = failures.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Stopped: no more restarts.
    expect(failures).toHaveLength(reported);
  });

  it('refuses a module that does not export the factory, and a module path that does not exist', async () => {
    const failures: RelayThreadFailure[] = [];
    const relay = thread('createNothing', {}, failures);
    relay.start();
    await expect(relay.running(30_000)).rejects.toThrow(
      /does not export a relay factory named createNothing/,
    );
    await relay.stop();
    expect(
      () =>
        new RelayThread({
          name: 'x',
          module: 'relative/path.ts',
          exportName: 'createTestRelay',
          settings: {},
        }),
    ).toThrow(/absolute path/);
    expect(
      () =>
        new RelayThread({
          name: 'x',
          module: path.join(__dirname, 'no-such-module.ts'),
          exportName: 'createTestRelay',
          settings: {},
        }),
    ).toThrow(/existing absolute path/);
  });
});

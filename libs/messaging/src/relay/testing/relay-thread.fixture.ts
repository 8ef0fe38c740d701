// Relay factories of the relay specs: loaded in a worker thread by RelayThread, or run by relay.process.ts.
import { PostgresEventStore } from '@handoff/event-store';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { OutboxRelay } from '../outbox-relay';
import { PostgresRelayCheckpointStore, type RelayCheckpointStore } from '../relay-checkpoint-store';
import type { RelayFactory } from '../relay-thread';
import { encodeTestEnvelope, TEST_CATEGORY, testMapper } from './relay-fixtures';

export interface TestRelaySettings {
  databaseUrl: string;
  storeSchema: string;
  checkpointSchema: string;
  brokers: string[];
  topic: string;
  relayName: string;
  /** Internal events per Kafka batch; default 50. */
  batchSize?: number;
  /** Test-only throttle: waits this long before each checkpoint save. */
  saveDelayMs?: number;
}

/** The test relay over connections of the thread's own. */
export const createTestRelay: RelayFactory<TestRelaySettings> = async (settings, hooks) => {
  const pool = new Pool({ connectionString: settings.databaseUrl, max: 3 });
  const store = new PostgresEventStore({
    connection: pool,
    schema: settings.storeSchema,
    pollIntervalMs: 50,
  });
  await store.init();
  const relay = new OutboxRelay({
    name: settings.relayName,
    store,
    categories: [TEST_CATEGORY],
    map: testMapper,
    encode: encodeTestEnvelope,
    topic: settings.topic,
    kafka: new Kafka({
      clientId: 'relay-thread-spec',
      brokers: settings.brokers,
      logLevel: logLevel.NOTHING,
    }),
    checkpoints: throttled(
      new PostgresRelayCheckpointStore({ connection: pool, schema: settings.checkpointSchema }),
      settings.saveDelayMs,
    ),
    batchSize: settings.batchSize ?? 50,
    backoff: { initialMs: 50, maxMs: 200 },
    onError: hooks.onError,
  });
  return {
    relay,
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
};

/** A factory that cannot build its relay: the thread fails before it runs. */
export const createUnbuildableRelay: RelayFactory<{ reason: string }> = (settings) =>
  Promise.reject(new Error(settings.reason));

function throttled(checkpoints: RelayCheckpointStore, delayMs: number | undefined): RelayCheckpointStore {
  if (!delayMs) return checkpoints;
  return {
    load: (name) => checkpoints.load(name),
    save: async (name, position) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await checkpoints.save(name, position);
    },
  };
}

import crypto from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type Pool } from 'pg';
import { PostgresEventStore } from '@handoff/event-store';
import { type BenchContext, testPool } from '@handoff/testing';
import { createTopicsAndWait } from '../src/provisioning/provision-topics';
import { PostgresRelayCheckpointStore } from '../src/relay/relay-checkpoint-store';

/** What both relay benchmarks run on: a store, a checkpoint table, and two fresh topics. */
export interface RelayBenchEnvironment {
  pool: Pool;
  store: PostgresEventStore;
  checkpoints: PostgresRelayCheckpointStore;
  kafka: Kafka;
  admin: Admin;
  /** The topic the relay publishes to. */
  relayTopic: string;
  /** The topic the plain-kafkajs baseline publishes to. */
  plainTopic: string;
  /** Random part of the topic names, for group ids of the same run. */
  suffix: string;
  /** Deletes the topics and closes every connection. */
  close: () => Promise<void>;
}

export async function relayBenchEnvironment(
  ctx: BenchContext,
  name: string,
  partitions: number,
): Promise<RelayBenchEnvironment> {
  const db = await ctx.createDatabase(name.replace(/-/g, '_'));
  const pool = testPool(db.url, { max: 4 });
  const store = new PostgresEventStore({ connection: pool, schema: 'bench_store' });
  await store.init();
  const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: 'bench_relay' });
  await checkpoints.init();
  const kafka = new Kafka({ clientId: name, brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const suffix = crypto.randomBytes(3).toString('hex');
  const relayTopic = `bench.${name}.relay.${suffix}`;
  const plainTopic = `bench.${name}.plain.${suffix}`;
  await createTopicsAndWait(
    admin,
    [relayTopic, plainTopic].map((topic) => ({ topic, numPartitions: partitions })),
  );
  return {
    pool,
    store,
    checkpoints,
    kafka,
    admin,
    relayTopic,
    plainTopic,
    suffix,
    close: async () => {
      await admin.deleteTopics({ topics: [relayTopic, plainTopic] }).catch(() => undefined);
      await admin.disconnect();
      await store.close();
      await pool.end();
    },
  };
}

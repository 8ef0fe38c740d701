// A relay in a process of its own, so a test can SIGKILL it mid-stream:
//   node -r scripts/ts-register.cjs libs/messaging/src/relay/testing/relay.process.ts '<json config>'
// It relays until killed or until its checkpoint reaches `untilPosition`, then stops and exits 0.
import { PostgresEventStore } from '@handoff/event-store';
import { Kafka, logLevel } from 'kafkajs';
import { OutboxRelay } from '../outbox-relay';
import { PostgresRelayCheckpointStore } from '../relay-checkpoint-store';
import { encodeTestEnvelope, TEST_CATEGORY, testMapper } from './relay-fixtures';

/** The JSON the parent passes as the only argument. */
export interface RelayProcessConfig {
  databaseUrl: string;
  storeSchema: string;
  checkpointSchema: string;
  brokers: string[];
  topic: string;
  relayName: string;
  batchSize: number;
  untilPosition?: string;
  /** Test-only throttle: waits this long before each checkpoint save. */
  saveDelayMs?: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as RelayProcessConfig;
  const store = new PostgresEventStore({
    connection: config.databaseUrl,
    schema: config.storeSchema,
    pollIntervalMs: 50,
  });
  const checkpoints = new PostgresRelayCheckpointStore({
    connection: config.databaseUrl,
    schema: config.checkpointSchema,
  });
  await checkpoints.init();
  const relay = new OutboxRelay({
    name: config.relayName,
    store,
    categories: [TEST_CATEGORY],
    map: testMapper,
    encode: encodeTestEnvelope,
    topic: config.topic,
    kafka: new Kafka({ clientId: 'relay-process', brokers: config.brokers, logLevel: logLevel.NOTHING }),
    checkpoints: {
      load: (name) => checkpoints.load(name),
      save: async (name, position) => {
        if (config.saveDelayMs) await new Promise((resolve) => setTimeout(resolve, config.saveDelayMs));
        await checkpoints.save(name, position);
      },
    },
    batchSize: config.batchSize,
    onError: ({ error }) => process.stderr.write(`relay error: ${String(error)}\n`),
  });
  relay.start();
  const until = config.untilPosition === undefined ? undefined : BigInt(config.untilPosition);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { checkpoint, published } = relay.metrics();
    process.stdout.write(`${JSON.stringify({ checkpoint: checkpoint?.toString(), published })}\n`);
    if (until !== undefined && checkpoint !== undefined && checkpoint >= until) break;
  }
  await relay.stop();
  await store.close();
  await checkpoints.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`relay process failed: ${String(error)}\n`);
  process.exit(1);
});

// A plain kafkajs consumer in a process of its own, for the relay latency benchmark:
//   node -r scripts/ts-register.cjs libs/messaging/src/relay/testing/latency-consumer.process.ts '<json>'
// Prints `ready` once it owns every partition, then one `<ce_id> <wall-clock ms>` line per message.
import { Kafka, logLevel } from 'kafkajs';

interface LatencyConsumerConfig {
  brokers: string[];
  topics: string[];
  groupId: string;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one host. */
const now = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as LatencyConsumerConfig;
  const kafka = new Kafka({
    clientId: 'latency-consumer',
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: config.groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: config.topics, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('ready\n'));
  await consumer.run({
    eachMessage: ({ message }) => {
      const received = now();
      const id = message.headers?.ce_id?.toString() ?? '';
      process.stdout.write(`${id} ${received}\n`);
      return Promise.resolve();
    },
  });
  process.on('SIGTERM', () => {
    void consumer.disconnect().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`latency consumer failed: ${String(error)}\n`);
  process.exit(1);
});

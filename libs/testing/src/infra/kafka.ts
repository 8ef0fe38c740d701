import fs from 'node:fs';
import path from 'node:path';
import { nothingToStop, type Provisioned, workspaceRoot } from './provisioned';

interface BrokerScript {
  startBroker(options: Record<string, unknown>): Promise<{
    brokers: string;
    version: string;
    reused: boolean;
  }>;
  stopBroker(options: Record<string, unknown>): Promise<boolean>;
  brokerStatus(options: Record<string, unknown>): Promise<{ running: boolean; answers: boolean }>;
  PINNED_KAFKA_VERSION: string;
}

// The broker script is plain CommonJS so that it also runs as a CLI without a build step.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const brokerScript = require(
  path.join(workspaceRoot, 'scripts', 'kafka', 'kafka-broker.cjs'),
) as BrokerScript;

/**
 * A Kafka broker for the test run: `KAFKA_BROKERS` → testcontainers when a Docker engine answers →
 * the scripted single-node broker on its own port (default 19092) with storage of its own, so a
 * development broker on 9092 is never touched.
 */
export async function provisionKafka(env: NodeJS.ProcessEnv, docker: boolean): Promise<Provisioned> {
  if (env.KAFKA_BROKERS) {
    return {
      url: env.KAFKA_BROKERS,
      source: 'KAFKA_BROKERS',
      version: env.KAFKA_VERSION ?? 'unknown (external cluster)',
      stop: nothingToStop,
    };
  }
  if (docker) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const image = `apache/kafka:${brokerScript.PINNED_KAFKA_VERSION}`;
    const container = await new KafkaContainer(image).withKraft().start();
    return {
      url: `${container.getHost()}:${container.getMappedPort(9093)}`,
      source: `testcontainers (${image})`,
      version: brokerScript.PINNED_KAFKA_VERSION,
      stop: async () => {
        await container.stop();
      },
    };
  }
  const port = Number(env.HANDOFF_TEST_KAFKA_PORT ?? 19092);
  const dataDir = path.join(workspaceRoot, '.data', `test-kafka-${port}`);
  const options = {
    port,
    controllerPort: port + 1,
    dataDir,
    log: (line: string) => process.stderr.write(`[kafka] ${line}\n`),
  };
  const status = await brokerScript.brokerStatus(options);
  if (!status.running && !status.answers) {
    // A broker dedicated to tests starts from empty storage: no topic of an earlier run survives.
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const broker = await brokerScript.startBroker(options);
  return {
    url: broker.brokers,
    source: broker.reused ? `scripted broker (already running)` : `scripted broker`,
    version: broker.version,
    stop: async () => {
      if (!broker.reused) await brokerScript.stopBroker(options);
    },
  };
}

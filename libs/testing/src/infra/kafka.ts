import fs from 'node:fs';
import net from 'node:net';
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
 * the scripted single-node broker on free ports of its own (or `HANDOFF_TEST_KAFKA_PORT`) with
 * storage of its own, so a development broker on 9092 is never touched.
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
  // Each run gets a broker of its own on free ports: two runs on one machine (a developer's and
  // CI's, or parallel worktrees) never share one, so neither stops the other's broker mid-run.
  const port = env.HANDOFF_TEST_KAFKA_PORT ? Number(env.HANDOFF_TEST_KAFKA_PORT) : await freePortPair();
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
      if (broker.reused) return;
      await brokerScript.stopBroker(options);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A port p with p + 1 also free (client and controller listeners), from the ephemeral range. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort(0);
    if (
      port < 65535 &&
      (await freePort(port + 1).then(
        () => true,
        () => false,
      ))
    )
      return port;
  }
  throw new Error('no two consecutive free ports found for the test broker');
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// Builds the test service of the platform's specs with keys minted per run and logs captured.
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mintApiKey, type MintedApiKey } from '../auth/api-key';
import { createServiceApp, type ReadinessOptions } from '../bootstrap/create-service-app';
import { loadServiceConfig, type CommonConfig } from '../config/common-config';
import { TicketTestModule } from './ticket-test.module';

/** The keys of the test tenants. */
export type TestKeys = Record<'agentA' | 'agentB' | 'auditorA' | 'botA', MintedApiKey>;

/** A test app, its keys and the log lines it wrote. */
export interface TestApp {
  app: NestFastifyApplication;
  keys: TestKeys;
  config: CommonConfig;
  logs: Record<string, unknown>[];
  rawLogs: string[];
}

/** Starts the ticket test service; `env` overrides settings (e.g. DATABASE_URL for health tests). */
export async function startTestApp(
  env: Record<string, string> = {},
  readiness: ReadinessOptions = { postgres: false, kafka: false },
): Promise<TestApp> {
  const keys: TestKeys = {
    agentA: mintApiKey('tenant-a', ['agent']),
    agentB: mintApiKey('tenant-b', ['agent']),
    auditorA: mintApiKey('tenant-a', ['auditor']),
    botA: mintApiKey('tenant-a', ['bot']),
  };
  const config = loadServiceConfig({
    DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/app',
    KAFKA_BROKERS: '127.0.0.1:1',
    API_KEYS: Object.values<MintedApiKey>(keys)
      .map((k) => k.entry)
      .join(','),
    BODY_LIMIT_BYTES: '1024',
    LOG_LEVEL: 'info',
    ...env,
  });
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const app = await createServiceApp(TicketTestModule, config, {
    serviceName: 'ticket-test',
    readiness,
    logDestination: destination,
    enableShutdownHooks: false,
    defaultMetrics: false,
  });
  return { app, keys, config, logs, rawLogs };
}

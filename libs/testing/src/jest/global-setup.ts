import { dockerEngineAnswers } from '../infra/docker';
import { provisionEventStoreDb } from '../infra/eventstoredb';
import { provisionKafka } from '../infra/kafka';
import { provisionPostgres } from '../infra/postgres';
import { type Provisioned } from '../infra/provisioned';
import { INFRA_ENV } from '../infra/test-infrastructure';
import { purgeStaleDatabases } from '../isolation';

declare global {
  var __handoffProvisioned: Provisioned[] | undefined;
}

/**
 * Provisions the run's infrastructure once (environment variables → testcontainers → local
 * processes) and hands it to the workers through environment variables.
 * `HANDOFF_TEST_INFRA=off` skips it for pure unit runs.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.HANDOFF_TEST_INFRA === 'off') return;
  // kafkajs 2 warns on every producer about a partitioner change made in 2021; the platform uses the default.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const docker = await dockerEngineAnswers();
  const started: Provisioned[] = [];
  globalThis.__handoffProvisioned = started;
  const track = <T extends Provisioned | undefined>(p: Promise<T>) =>
    p.then((value) => {
      if (value) started.push(value);
      return value;
    });
  const [postgres, kafka, esdb] = await Promise.all([
    track(provisionPostgres(process.env, docker)),
    track(provisionKafka(process.env, docker)),
    track(provisionEventStoreDb(process.env, docker)),
  ]);
  await purgeStaleDatabases(postgres.url);
  process.env[INFRA_ENV.postgresUrl] = postgres.url;
  process.env[INFRA_ENV.postgresSource] = postgres.source;
  process.env[INFRA_ENV.kafkaBrokers] = kafka.url;
  process.env[INFRA_ENV.kafkaSource] = kafka.source;
  process.env[INFRA_ENV.kafkaVersion] = kafka.version ?? 'unknown';
  if (esdb) {
    process.env[INFRA_ENV.esdbConnectionString] = esdb.url;
    process.env[INFRA_ENV.esdbSource] = esdb.source;
  }
  process.stderr.write(
    `\n[test infrastructure] docker engine: ${docker ? 'answers' : 'none'}; ` +
      `PostgreSQL: ${postgres.source}; Kafka ${kafka.version ?? ''}: ${kafka.source} at ${kafka.url}; ` +
      `EventStoreDB: ${esdb ? esdb.source : 'none (set ESDB_CONNECTION_STRING or run a Docker engine)'}\n`,
  );
}

/**
 * What the global setup provisioned, as seen from a test file. Workers inherit these variables
 * from the jest parent process, which sets them once per run.
 */
export interface TestInfrastructure {
  /** A PostgreSQL URL whose role may create databases (see {@link createIsolatedDatabase}). */
  postgresUrl: string;
  postgresSource: string;
  kafkaBrokers: string[];
  kafkaSource: string;
  kafkaVersion: string;
  /** Set when an EventStoreDB/KurrentDB node is reachable for this run. */
  esdbConnectionString: string | undefined;
  esdbSource: string | undefined;
}

export const INFRA_ENV = {
  postgresUrl: 'HANDOFF_TEST_POSTGRES_URL',
  postgresSource: 'HANDOFF_TEST_POSTGRES_SOURCE',
  kafkaBrokers: 'HANDOFF_TEST_KAFKA_BROKERS',
  kafkaSource: 'HANDOFF_TEST_KAFKA_SOURCE',
  kafkaVersion: 'HANDOFF_TEST_KAFKA_VERSION',
  esdbConnectionString: 'HANDOFF_TEST_ESDB_CONNECTION_STRING',
  esdbSource: 'HANDOFF_TEST_ESDB_SOURCE',
} as const;

/** The run's infrastructure; fails with a clear message when the global setup did not provision it. */
export function testInfrastructure(env: NodeJS.ProcessEnv = process.env): TestInfrastructure {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: integration tests need the jest global setup of libs/testing ` +
          `(run them with "npm test" or "npx jest", not with HANDOFF_TEST_INFRA=off)`,
      );
    }
    return value;
  };
  return {
    postgresUrl: required(INFRA_ENV.postgresUrl),
    postgresSource: required(INFRA_ENV.postgresSource),
    kafkaBrokers: required(INFRA_ENV.kafkaBrokers).split(','),
    kafkaSource: required(INFRA_ENV.kafkaSource),
    kafkaVersion: required(INFRA_ENV.kafkaVersion),
    esdbConnectionString: env[INFRA_ENV.esdbConnectionString] || undefined,
    esdbSource: env[INFRA_ENV.esdbSource] || undefined,
  };
}

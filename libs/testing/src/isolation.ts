import crypto from 'node:crypto';
import { Client, Pool, type PoolConfig } from 'pg';
import { testInfrastructure } from './infra/test-infrastructure';

const PREFIX = 'hot_';
const STALE_AFTER_SECONDS = 6 * 3600;

/** A database of its own for one test file: created empty, dropped by `drop()`. */
export interface IsolatedDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates a fresh database on the run's PostgreSQL server. Names carry their creation time so a
 * later run can drop what a crashed run left behind without touching a concurrent run's databases.
 */
export async function createIsolatedDatabase(label: string): Promise<IsolatedDatabase> {
  const { postgresUrl } = testInfrastructure();
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${safeLabel}_${crypto.randomBytes(4).toString('hex')}`;
  await withAdmin(postgresUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin(postgresUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/**
 * A pool for a test or benchmark. The server may end an idle pooled connection at any time (a
 * restart, an administrator, a forced drop of a neighbouring database): pg-pool then drops that
 * client and the next query opens a new one, so the event is not a failure. Without a listener the
 * pool would rethrow it as an unhandled 'error' and fail whatever test happened to be running.
 */
export function testPool(connectionString: string, options: Omit<PoolConfig, 'connectionString'> = {}): Pool {
  const pool = new Pool({ ...options, connectionString });
  pool.on('error', () => undefined);
  return pool;
}

/** Unique Kafka topic (or consumer group) name for one test: a rerun never sees an earlier run's data. */
export function uniqueName(label: string): string {
  return `test.${label}.${Date.now().toString(36)}.${crypto.randomBytes(3).toString('hex')}`;
}

/** Drops test databases older than six hours (left by runs that crashed before their afterAll). */
export async function purgeStaleDatabases(adminUrl: string): Promise<number> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${PREFIX}%`],
    );
    const cutoff = Date.now() / 1000 - STALE_AFTER_SECONDS;
    let dropped = 0;
    for (const { datname } of rows) {
      const created = Number(datname.slice(PREFIX.length).split('_')[0]);
      if (Number.isFinite(created) && created < cutoff) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        dropped += 1;
      }
    }
    return dropped;
  });
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

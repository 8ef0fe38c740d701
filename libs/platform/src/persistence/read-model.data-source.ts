import type { Pool } from 'pg';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

/** Options of {@link openReadModelDataSource}. */
export interface ReadModelDataSourceOptions {
  url: string;
  /** The service's own PostgreSQL schema; created when missing. */
  schema: string;
  // TypeORM's own option types: entity classes or schemas, migration classes.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** `application_name` shown in pg_stat_activity. */
  applicationName?: string;
  /** Connections of TypeORM's pool; default 10. */
  poolSize?: number;
  /** Settings of every connection's session, as PostgreSQL's `options` (`-c name=value …`). */
  connectionOptions?: string;
}

/**
 * A service's read-model database: a TypeORM data source on the service's own schema, with its
 * migrations run at start-up (each in its own transaction, serialised across processes by an
 * advisory lock so that replicas starting together do not race on the catalog). Close it with
 * `destroy()` at shutdown.
 */
export async function openReadModelDataSource(options: ReadModelDataSourceOptions): Promise<DataSource> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new RangeError(`read-model schema "${options.schema}" must be a lower-case SQL identifier`);
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    applicationName: options.applicationName ?? options.schema,
    poolSize: options.poolSize ?? 10,
    synchronize: false,
    logging: false,
    ...(options.connectionOptions === undefined ? {} : { extra: { options: options.connectionOptions } }),
  });
  await dataSource.initialize();
  try {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`migrations:${options.schema}`]);
      try {
        await runner.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`migrations:${options.schema}`]);
      }
    } finally {
      await runner.release();
    }
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  return dataSource;
}

/**
 * The `pg` pool under a TypeORM data source, for code that works with plain `pg` clients (the
 * consumer runtime's transactions, the event store), so a service opens one pool, not two.
 */
export function poolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver as unknown as { master?: Pool };
  if (!driver.master) throw new Error('the data source is not initialised or not a PostgreSQL data source');
  return driver.master;
}

import {
  EsdbEventStore,
  PostgresEventStore,
  type EventStore,
  type UpcasterRegistry,
} from '@handoff/event-store';
import type { Pool } from 'pg';
import type { CommonConfig } from '../config/common-config';

/** Options of {@link createEventStore}. */
export interface EventStoreFactoryOptions {
  /** The service's pool, used by the PostgreSQL adapter (the caller closes it after the store). */
  pool: Pool;
  /** PostgreSQL schema of the service's streams, e.g. `ownership_events`. */
  schema: string;
  /** EventStoreDB namespace of the service's streams, e.g. `ownership`. */
  namespace: string;
  upcasters?: UpcasterRegistry;
  /** Poll interval of idle PostgreSQL subscriptions (notifications wake them earlier). */
  pollIntervalMs?: number;
  /** At most one NOTIFY to other PostgreSQL stores per this many milliseconds (default: per burst). */
  notifyIntervalMs?: number;
  /** Categories of streams written once, kept out of the PostgreSQL store's cache of heads. */
  writeOnceCategories?: readonly string[];
}

/**
 * The service's event store as configured: PostgreSQL (default, tables created on first use) or
 * EventStoreDB/KurrentDB when `EVENT_STORE=esdb`. Each service keeps its streams apart (its own
 * schema or namespace), so one database or one cluster can hold every service.
 */
export async function createEventStore(
  config: Pick<CommonConfig, 'EVENT_STORE' | 'ESDB_CONNECTION_STRING'>,
  options: EventStoreFactoryOptions,
): Promise<EventStore> {
  if (config.EVENT_STORE === 'esdb') {
    const connection = config.ESDB_CONNECTION_STRING;
    if (connection === undefined) throw new Error('ESDB_CONNECTION_STRING is required when EVENT_STORE=esdb');
    return new EsdbEventStore({
      connection,
      namespace: options.namespace,
      ...(options.upcasters ? { upcasters: options.upcasters } : {}),
    });
  }
  const store = new PostgresEventStore({
    connection: options.pool,
    schema: options.schema,
    ...(options.upcasters ? { upcasters: options.upcasters } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.notifyIntervalMs ? { notifyIntervalMs: options.notifyIntervalMs } : {}),
    ...(options.writeOnceCategories ? { writeOnceCategories: options.writeOnceCategories } : {}),
  });
  await store.init();
  return store;
}

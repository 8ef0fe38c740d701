import type { EventStore } from '@handoff/event-store';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';

/**
 * One dependency that must answer before the service takes traffic. `check` resolves when the
 * dependency is usable and rejects (or exceeds `timeoutMs`) when it is not.
 */
export interface ReadinessProbe {
  /** The key under which `/health/ready` reports this dependency, e.g. `postgres`. */
  readonly name: string;
  readonly timeoutMs?: number;
  check(): Promise<unknown>;
}

/** PostgreSQL is ready when `SELECT 1` answers on the pool. */
export function postgresProbe(pool: Pool, name = 'postgres'): ReadinessProbe {
  return {
    name,
    async check() {
      await pool.query('SELECT 1');
    },
  };
}

/**
 * Kafka is ready when the cluster metadata answers. One admin client is kept connected between
 * checks; after a failure it is dropped so the next check reconnects from scratch.
 */
export function kafkaProbe(kafka: Kafka, name = 'kafka'): ReadinessProbe & { close(): Promise<void> } {
  let admin: ReturnType<Kafka['admin']> | undefined;
  const drop = async () => {
    const current = admin;
    admin = undefined;
    await current?.disconnect().catch(() => undefined);
  };
  return {
    name,
    async check() {
      try {
        if (!admin) {
          admin = kafka.admin({ retry: { retries: 0 } });
          await admin.connect();
        }
        const cluster = await admin.describeCluster();
        return { brokers: cluster.brokers.length };
      } catch (error) {
        await drop();
        throw error;
      }
    },
    close: drop,
  };
}

/** The event store is ready when reading one event from its global log succeeds (an empty log is fine). */
export function eventStoreProbe(store: Pick<EventStore, 'readAll'>, name = 'eventStore'): ReadinessProbe {
  return {
    name,
    async check() {
      await store.readAll({ maxCount: 1 });
    },
  };
}

import type { Pool } from 'pg';
import type { CustomerLocks } from './conversations.ports';

/**
 * Customer locks as PostgreSQL session advisory locks, so replicas serialise too. Each holder keeps
 * one connection of a pool of its own (size = the ingestion concurrency): it then never competes
 * with the event-store appends and projection it waits for, which use the main pool.
 */
export class PostgresCustomerLocks implements CustomerLocks {
  /** `pool` should set `lock_timeout` on its connections, so a stuck holder fails waiters, not hangs them. */
  constructor(private readonly pool: Pool) {}

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      try {
        return await work();
      } finally {
        await client
          .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key])
          .catch((error: unknown) => {
            // A connection whose unlock failed may still hold the lock: destroy it, never pool it.
            broken = error instanceof Error ? error : new Error(String(error));
          });
      }
    } finally {
      client.release(broken);
    }
  }
}

import { inOneRoundTrip } from '@handoff/event-store';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { CustomerLocks, ReadUnderLocks } from './conversations.ports';

/**
 * Every key's lock, in ascending order of the lock ids (see {@link PostgresCustomerLocks.withLocks}).
 * Named, as the unlock: parsed once per connection (and planned once with the service's planner
 * settings, `DB_PLANNER`), not on every round.
 */
const lockAll = (keys: readonly string[]): QueryConfig => ({
  name: 'customer_locks_lock_all',
  text: `SELECT pg_advisory_lock(id) FROM (
   SELECT DISTINCT hashtextextended(k, 0) AS id FROM unnest($1::text[]) AS k ORDER BY 1
 ) ids`,
  values: [keys],
});
const UNLOCK_ALL: QueryConfig = {
  name: 'customer_locks_unlock_all',
  text: 'SELECT pg_advisory_unlock_all()',
};
/** The read's statement as pg takes it (an undefined name: unnamed). */
const readQuery = (read: ReadUnderLocks<unknown>): QueryConfig => ({
  name: read.name,
  text: read.text,
  values: read.values,
});

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Customer locks as PostgreSQL session advisory locks, so replicas serialise too. Each holder keeps
 * one connection of a pool of its own (size = the ingestion concurrency): it then never competes
 * with the event-store appends and projection it waits for, which use the main pool.
 */
export class PostgresCustomerLocks implements CustomerLocks {
  /** `pool` should set `lock_timeout` on its connections, so a stuck holder fails waiters, not hangs them. */
  constructor(private readonly pool: Pool) {}

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.withLocks([key], work);
  }

  /**
   * Every key's lock in one round trip, taken in ascending order of the lock ids: two holders of
   * overlapping sets then always queue in the same order and never deadlock (a holder of one lock
   * never waits for another). Released together, the connection holding nothing else.
   *
   * The result is returned as soon as `work` settles, while the unlock is on its way: what `work`
   * wrote is committed, and a holder waiting for one of the locks gets it when the unlock arrives
   * (PostgreSQL releases it then, whoever asks). The connection goes back to the pool only after
   * its unlock succeeded, so it never carries a lock to its next holder.
   */
  async withLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    if (keys.length === 0) return work();
    const client = await this.pool.connect();
    try {
      await client.query(lockAll(keys));
    } catch (error) {
      // A multi-key lock that failed half-way (lock_timeout) may hold some of its keys: the
      // connection is destroyed, never pooled.
      client.release(asError(error));
      throw error;
    }
    return this.holding(client, work);
  }

  /**
   * The read goes out with the locks' statement, on the same connection ({@link inOneRoundTrip}):
   * PostgreSQL runs it once that statement is done, every lock granted, so it reads what the
   * previous holders committed before they unlocked, one round trip earlier than a read sent after
   * the lock's answer.
   */
  async withLocksThenRead<T, R>(
    keys: readonly string[],
    read: ReadUnderLocks<R>,
    work: (answer: R) => Promise<T>,
  ): Promise<T> {
    if (keys.length === 0) {
      const { rows } = await this.pool.query(readQuery(read));
      return work(read.answer(rows));
    }
    const client = await this.pool.connect();
    const [locked, answered] = await inOneRoundTrip(client, [lockAll(keys), readQuery(read)]);
    if (locked?.status !== 'fulfilled') {
      // As in withLocks: destroyed, it may hold some of the keys. (The read ran without them.)
      const error: unknown = locked?.reason;
      client.release(asError(error));
      throw error;
    }
    return this.holding(client, () => {
      if (answered?.status !== 'fulfilled') throw answered?.reason;
      return work(read.answer(answered.value.rows));
    });
  }

  /**
   * Runs `work` on a connection holding locks; the result is returned as soon as `work` settles,
   * while the unlock is on its way (see {@link withLocks}).
   */
  private async holding<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      client.query(UNLOCK_ALL).then(
        () => client.release(),
        // A connection whose unlock failed may still hold the locks: destroyed, never pooled (its
        // session ends, and PostgreSQL releases them with it).
        (error: unknown) => client.release(asError(error)),
      );
    }
  }
}

import type { EventStore, RecordedEvent, Subscription } from '@handoff/event-store';
import type { Pool, PoolClient } from 'pg';

/** Applies one of the service's own events to its read model, inside the runner's transaction. */
export type ProjectEvent = (event: RecordedEvent, tx: PoolClient) => Promise<void>;

/**
 * Applies a batch of events, in order, inside the runner's transaction: for projections that write
 * several events' rows with one statement. Must leave the same rows as applying them one by one.
 */
export type ProjectEvents = (events: readonly RecordedEvent[], tx: PoolClient) => Promise<void>;

/** Options of {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions {
  /** Checkpoint name; rename it to rebuild the read model from the beginning. */
  name: string;
  store: EventStore;
  /** The stream categories followed (`<category>-*`). */
  categories: readonly string[];
  pool: Pool;
  /** Schema of the `projection_checkpoints` table: the service's read-model schema. */
  schema: string;
  apply: ProjectEvent;
  /** When set, used instead of `apply`: each transaction's events in one call. */
  applyBatch?: ProjectEvents;
  /**
   * Events whose rows are written already, e.g. by the service in the transaction that appended
   * them: not applied again. They still move the checkpoint and release {@link ProjectionRunner.waitFor}.
   * Asked once per delivery; an event it lets through is applied as any other (the projection's
   * statements must then be idempotent, as a replay after a restart needs them to be anyway).
   */
  skip?: (event: RecordedEvent) => boolean;
  /**
   * A batch whose events were all skipped saves the checkpoint only if this long has passed since
   * the last save (default 1000 ms); otherwise the next save (an applied batch, a later skipped one,
   * `stop()`) covers it. Saves a statement per append for a service that writes its rows with its
   * appends; a crash replays at most this window's skipped events, applied again idempotently.
   */
  skippedCheckpointIntervalMs?: number;
  /**
   * Live, read the store at most once per this many milliseconds (the subscription's `coalesceMs`),
   * so the rows of a burst of appends are written in one transaction; default 0. {@link waitFor}
   * does not wait for the interval: a waiter has the subscription read at once.
   */
  coalesceMs?: number;
  /** Most events applied in one transaction; default 200. */
  maxBatch?: number;
  /** Restart delays after a failure (the subscription resumes from the checkpoint). */
  backoff?: { initialMs: number; maxMs: number };
  onError?: (error: unknown, restartInMs: number) => void;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Keeps a read model up to date from the service's own streams: a catch-up subscription whose
 * checkpoint is written in the same transaction as the rows the events change, so a crash or a
 * replay never applies an event twice and never skips one. Events delivered while a transaction is
 * in flight are applied together in the next one (one BEGIN/checkpoint/COMMIT per batch, not per
 * event): a service whose requests wait for their own projection keeps up under concurrency. A
 * failing batch rolls back, and the runner resubscribes from the checkpoint after a backoff.
 */
export class ProjectionRunner {
  private readonly table: string;
  private readonly maxBatch: number;
  private buffer: RecordedEvent[] = [];
  private draining: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private generation = 0;
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private position: bigint | undefined;
  /** The position of skipped events whose checkpoint is not saved yet ({@link skippedCheckpointIntervalMs}). */
  private unsaved: bigint | undefined;
  private savedAt = Number.NEGATIVE_INFINITY;
  private readonly waiters = new Set<{ position: bigint; resolve: () => void }>();

  constructor(private readonly options: ProjectionRunnerOptions) {
    if (!IDENTIFIER.test(options.schema))
      throw new RangeError(`schema "${options.schema}" is not an identifier`);
    if (options.categories.length === 0) throw new RangeError(`projection ${options.name}: no category`);
    this.table = `"${options.schema}".projection_checkpoints`;
    this.maxBatch = options.maxBatch ?? 200;
  }

  /** Creates the checkpoint table when missing (idempotent, safe across processes). */
  async init(): Promise<void> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `projection_checkpoints:${this.options.schema}`,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Starts following the streams from the saved checkpoint. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.subscribe();
  }

  /** Stops delivery; events not yet committed are delivered again from the checkpoint next time. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation += 1;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
    await this.draining;
    // Skipped events' checkpoint not saved yet: saved now, so a restart does not replay them. If
    // this fails, the restart replays them, which is harmless.
    if (this.unsaved !== undefined) {
      await this.saveCheckpoint(this.unsaved).catch(() => undefined);
    }
  }

  /** The global position of the last event applied, if any. */
  checkpoint(): bigint | undefined {
    return this.position;
  }

  /**
   * Resolves once the event at `position` (a position returned by an append) is in the read model:
   * read-your-writes for a REST call that appended and then reads its own projection. Delivery
   * follows commit order, which may differ from position order between overlapping transactions,
   * so a waiter resolves when that exact position is applied (or was applied before it waited).
   */
  waitFor(position: bigint, timeoutMs = 10_000): Promise<void> {
    if (this.position !== undefined && this.position >= position) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(`projection ${this.options.name} did not reach position ${position} in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
      // A coalescing subscription reads at once for a waiter.
      this.subscription?.readNow?.();
    });
  }

  private async subscribe(): Promise<void> {
    const { rows } = await this.options.pool.query<{ position: string }>(
      `SELECT position::text AS position FROM ${this.table} WHERE name = $1`,
      [this.options.name],
    );
    this.position = rows[0] ? BigInt(rows[0].position) : undefined;
    // Delivered again from the saved checkpoint.
    this.unsaved = undefined;
    if (this.stopped) return;
    const generation = (this.generation += 1);
    this.buffer = [];
    this.subscription = this.options.store.subscribeToAll({
      ...(this.position === undefined ? {} : { fromPosition: this.position }),
      filter: { streamPrefixes: this.options.categories.map((category) => `${category}-`) },
      onEvent: (event) => this.enqueue(generation, event),
      onError: (error) => this.restart(generation, error),
      ...(this.options.coalesceMs === undefined ? {} : { coalesceMs: this.options.coalesceMs }),
    });
  }

  private enqueue(generation: number, event: RecordedEvent): Promise<void> | undefined {
    if (generation !== this.generation) return undefined;
    this.buffer.push(event);
    // Draining starts a microtask later: the subscription hands over a page synchronously, so the
    // events of one append (e.g. a ticket opened and its first owner) land in one transaction and
    // readers never see the state between them.
    this.draining ??= Promise.resolve().then(() => this.drain(generation));
    // Back-pressure: the subscription waits while a full batch is queued behind the one in flight.
    return this.buffer.length >= this.maxBatch ? this.draining : undefined;
  }

  private async drain(generation: number): Promise<void> {
    try {
      while (this.buffer.length > 0 && generation === this.generation) {
        const batch = this.buffer.splice(0, this.maxBatch);
        await this.applyBatch(batch);
        const applied = new Set(batch.map((e) => e.globalPosition));
        this.position = batch.at(-1)?.globalPosition ?? this.position;
        this.failures = 0;
        for (const waiter of this.waiters) {
          if (applied.has(waiter.position)) {
            this.waiters.delete(waiter);
            waiter.resolve();
          }
        }
      }
    } catch (error) {
      this.restart(generation, error);
    } finally {
      this.draining = undefined;
    }
  }

  private async applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    const skip = this.options.skip;
    const due = skip ? batch.filter((event) => !skip(event)) : batch;
    // Nothing to apply: the checkpoint alone, one statement, unless one was saved just now.
    if (due.length === 0) {
      const interval = this.options.skippedCheckpointIntervalMs ?? 1_000;
      if (performance.now() - this.savedAt < interval) {
        this.unsaved = last.globalPosition;
        return;
      }
      await this.saveCheckpoint(last.globalPosition);
      return;
    }
    const checkpoint = this.checkpointStatement(last.globalPosition);
    const client = await this.options.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      if (this.options.applyBatch) await this.options.applyBatch(due, client);
      else for (const event of due) await this.options.apply(event, client);
      await client.query(checkpoint);
      await client.query('COMMIT');
      this.savedAt = performance.now();
      this.unsaved = undefined;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private checkpointStatement(position: bigint): { text: string; values: string[] } {
    return {
      text: `INSERT INTO ${this.table} (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      values: [this.options.name, position.toString()],
    };
  }

  private async saveCheckpoint(position: bigint): Promise<void> {
    await this.options.pool.query(this.checkpointStatement(position));
    this.savedAt = performance.now();
    this.unsaved = undefined;
  }

  /** Drops the failed subscription and what it buffered, and resubscribes from the checkpoint. */
  private restart(generation: number, error: unknown): void {
    if (generation !== this.generation || this.stopped) return;
    this.generation += 1;
    this.buffer = [];
    // Not awaited: this may run inside the subscription's own onEvent (see Subscription.stop).
    void this.subscription?.stop().catch(() => undefined);
    this.subscription = undefined;
    this.failures += 1;
    const backoff = this.options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
    this.options.onError?.(error, delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped)
        void this.subscribe().catch((reason: unknown) => this.restart(this.generation, reason));
    }, delay);
  }
}

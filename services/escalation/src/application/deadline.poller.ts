// Fires the durable deadlines of `escalation.deadlines`: each poll claims due rows with
// FOR UPDATE SKIP LOCKED (so replicas never fire the same row), runs its handler while holding the
// row lock, and marks it fired in the same transaction. A crash before the commit leaves the row
// unfired and it fires again after the restart; the handlers' commands are idempotent in the
// decider (an expired offer does not expire twice), so each deadline takes effect exactly once.
import { DomainError } from '@handoff/platform';
import type { Pool } from 'pg';
import type { Clock } from './ports';

export interface DeadlineRecord {
  deadlineId: string;
  tenantId: string;
  handoffId: string | null;
  kind: string;
  ref: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

export type DeadlineHandler = (deadline: DeadlineRecord) => Promise<void>;

export interface DeadlinePollerOptions {
  pool: Pool;
  clock: Clock;
  handle: DeadlineHandler;
  intervalMs: number;
  batchSize?: number;
  /** After this many failed attempts a deadline is parked (fired with its last error) and logged. */
  maxAttempts?: number;
  log: { warn(message: string): void; error(message: string): void };
  onFired?: (deadline: DeadlineRecord, outcome: 'fired' | 'retry' | 'parked' | 'rejected') => void;
}

export class DeadlinePoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;

  constructor(private readonly options: DeadlinePollerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Polls soon (e.g. after a consumer applied new due rows) instead of at the next interval. The
   * small delay lets the consumer's batch transaction commit first, so the poll sees the rows.
   */
  wake(delayMs = 20): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(delayMs);
  }

  /** Stops polling and waits for the batch in flight to commit. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pollUntilIdle()
        .catch((error: unknown) => this.options.log.error(`deadline poll failed: ${message(error)}`))
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 20 : this.options.intervalMs);
        });
    }, delayMs);
  }

  private async pollUntilIdle(): Promise<void> {
    const batchSize = this.options.batchSize ?? 50;
    while (!this.stopped) {
      const claimed = await this.pollOnce(batchSize);
      if (claimed < batchSize) return;
    }
  }

  /** Claims and fires at most `batchSize` due deadlines; returns how many it claimed. */
  async pollOnce(batchSize: number): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        deadline_id: string;
        tenant_id: string;
        handoff_id: string | null;
        kind: string;
        ref: string;
        due_at: Date;
        payload: Record<string, unknown> | null;
        attempts: number;
      }>(
        `SELECT deadline_id, tenant_id, handoff_id, kind, ref, due_at, payload, attempts
           FROM escalation.deadlines
          WHERE fired_at IS NULL AND due_at <= $1
          ORDER BY due_at LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [this.options.clock.now(), batchSize],
      );
      for (const row of rows) {
        const deadline: DeadlineRecord = {
          deadlineId: row.deadline_id,
          tenantId: row.tenant_id,
          handoffId: row.handoff_id,
          kind: row.kind,
          ref: row.ref,
          dueAt: row.due_at,
          payload: row.payload ?? {},
          attempts: row.attempts,
        };
        const outcome = await this.fire(deadline);
        if (outcome.kind === 'retry') {
          await client.query(
            `UPDATE escalation.deadlines SET attempts = attempts + 1, last_error = $2, due_at = $3 WHERE deadline_id = $1`,
            [row.deadline_id, outcome.error, outcome.retryAt],
          );
        } else {
          await client.query(
            `UPDATE escalation.deadlines SET attempts = attempts + 1, fired_at = $2, last_error = $3 WHERE deadline_id = $1`,
            [row.deadline_id, this.options.clock.now(), outcome.error ?? null],
          );
        }
        this.options.onFired?.(deadline, outcome.kind === 'done' ? 'fired' : outcome.kind);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async fire(
    deadline: DeadlineRecord,
  ): Promise<
    | { kind: 'done'; error?: undefined }
    | { kind: 'rejected' | 'parked'; error: string }
    | { kind: 'retry'; error: string; retryAt: Date }
  > {
    try {
      await this.options.handle(deadline);
      return { kind: 'done' };
    } catch (error) {
      const text = message(error);
      if (error instanceof DomainError) {
        // A business refusal (e.g. a channel switch on a ticket never opened) will not change on retry.
        this.options.log.warn(`deadline ${deadline.kind} ${deadline.ref} rejected: ${text}`);
        return { kind: 'rejected', error: text };
      }
      const maxAttempts = this.options.maxAttempts ?? 10;
      if (deadline.attempts + 1 >= maxAttempts) {
        this.options.log.error(
          `deadline ${deadline.kind} ${deadline.ref} parked after ${maxAttempts} attempts: ${text}`,
        );
        return { kind: 'parked', error: text };
      }
      const delayMs = Math.min(60_000, 500 * 2 ** deadline.attempts);
      this.options.log.warn(
        `deadline ${deadline.kind} ${deadline.ref} failed, retry in ${delayMs} ms: ${text}`,
      );
      return { kind: 'retry', error: text, retryAt: new Date(this.options.clock.now().getTime() + delayMs) };
    }
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// Gives back capacity slots whose offer was never made. A request reserves an agent's slot before it
// appends the offer (so two requests cannot both take the last one); a crash between the two leaves
// a hold that no event will ever release. Each sweep looks at holds older than the grace period that
// are not the current offer of their handoff in the read model, and releases those whose offer the
// handoff's stream does not contain: the event store, not the possibly lagging read model, decides.
import { StreamNotFound, type EventStore } from '@handoff/event-store';
import { PeriodicTask } from '@handoff/platform';
import type { Pool } from 'pg';
import { handoffStream } from '../domain/handoff.events';
import { releaseHolds } from '../projections/capacity-holds';
import type { Clock } from './ports';

export interface OrphanedHoldSweeperOptions {
  pool: Pool;
  store: Pick<EventStore, 'readStream'>;
  clock: Clock;
  /** A hold younger than this may belong to a request still on its way to the append. */
  graceMs: number;
  intervalMs: number;
  batchSize?: number;
  log: { warn(message: string): void; error(message: string): void };
}

export class OrphanedHoldSweeper {
  private readonly task: PeriodicTask;

  constructor(private readonly options: OrphanedHoldSweeperOptions) {
    this.task = new PeriodicTask(() => this.sweep(), {
      intervalMs: options.intervalMs,
      firstRunInMs: options.intervalMs,
      onError: (error) =>
        options.log.error(
          `capacity hold sweep failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Releases the orphaned holds found now; returns their offer ids. */
  async sweep(): Promise<string[]> {
    const now = this.options.clock.now();
    const cutoff = new Date(now.getTime() - this.options.graceMs);
    const { rows } = await this.options.pool.query<{ offer_id: string; handoff_id: string }>(
      `SELECT c.offer_id, c.handoff_id
         FROM escalation.capacity_holds c
        WHERE c.released_at IS NULL AND c.reserved_at < $1
          AND NOT EXISTS (SELECT 1 FROM escalation.handoffs h
                           WHERE h.tenant_id = c.tenant_id AND h.handoff_id = c.handoff_id
                             AND h.current_offer_id = c.offer_id)
        ORDER BY c.reserved_at
        LIMIT $2`,
      [cutoff, this.options.batchSize ?? 100],
    );
    const released: string[] = [];
    for (const row of rows) {
      if (await this.offerRecorded(row.handoff_id, row.offer_id)) continue;
      await releaseHolds(this.options.pool, { offerId: row.offer_id }, now);
      released.push(row.offer_id);
    }
    if (released.length > 0) {
      this.options.log.warn(
        `released ${released.length} capacity slot(s) reserved for offers that were never made: ${released.join(', ')}`,
      );
    }
    return released;
  }

  private async offerRecorded(handoffId: string, offerId: string): Promise<boolean> {
    try {
      const events = await this.options.store.readStream(handoffStream(handoffId));
      return events.some(
        (event) =>
          event.type === 'HandoffOffered' && (event.data as { offerId?: unknown }).offerId === offerId,
      );
    } catch (error) {
      if (error instanceof StreamNotFound) return false;
      throw error;
    }
  }
}

import { PeriodicTask } from '@handoff/platform';
import type { Pool } from 'pg';
import type { LapseAlerts } from './lapse-alerts';
import type { Clock } from './ownership.ports';

/**
 * Alerts lapses that have lasted longer than the threshold, once per lapse, from the read model: a
 * poll inserts a row into `ownership.lapse_alerts` for every lapsed ticket whose current lapse
 * (keyed by its `lapsed_since`) is older than the threshold and has none yet, and alerts the rows it
 * inserted before committing. The rows are the memory of what was alerted, so a restart or a second
 * replica alerts nothing twice (the primary key decides which replica inserts), and a lapse that
 * became overdue while the service was down is alerted at the next poll. A ticket that lapses again
 * later has a new `lapsed_since`, hence a new alert.
 */
export class LapseOverdueAlerts {
  private readonly task: PeriodicTask;

  constructor(
    private readonly pool: Pool,
    private readonly alerts: Pick<LapseAlerts, 'lapseOverdue'>,
    private readonly clock: Clock,
    private readonly settings: { afterSeconds: number; intervalMs: number },
    onError: (error: unknown) => void,
  ) {
    this.task = new PeriodicTask((stopping) => this.alertOverdue(undefined, stopping), {
      intervalMs: settings.intervalMs,
      onError,
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Alerts every lapse that became overdue and was not alerted yet; returns how many. */
  async alertOverdue(batch = 100, stopping?: AbortSignal): Promise<number> {
    let alerted = 0;
    for (;;) {
      const now = this.clock.now();
      const dueBefore = new Date(now.getTime() - this.settings.afterSeconds * 1000);
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{
          tenant_id: string;
          ticket_id: string;
          lapsed_since: Date;
          cause: string | null;
          last_owner_id: string | null;
        }>(
          `WITH due AS (
             SELECT t.tenant_id, t.ticket_id, t.lapsed_since, t.lapse_cause, t.last_owner_id
               FROM ownership.tickets t
              WHERE t.status = 'lapsed' AND t.lapsed_since IS NOT NULL AND t.lapsed_since <= $1
                AND NOT EXISTS (SELECT 1 FROM ownership.lapse_alerts a
                                 WHERE a.tenant_id = t.tenant_id AND a.ticket_id = t.ticket_id
                                   AND a.lapsed_since = t.lapsed_since)
              ORDER BY t.lapsed_since
              LIMIT $2)
           INSERT INTO ownership.lapse_alerts (tenant_id, ticket_id, lapsed_since, cause, last_owner_id, alerted_at)
           SELECT tenant_id, ticket_id, lapsed_since, lapse_cause, last_owner_id, $3 FROM due
           ON CONFLICT DO NOTHING
           RETURNING tenant_id, ticket_id, lapsed_since, cause, last_owner_id`,
          [dueBefore.toISOString(), batch, now.toISOString()],
        );
        // Alerted before the commit: only a failing COMMIT can make a lapse alert twice.
        for (const row of rows) {
          this.alerts.lapseOverdue(
            {
              tenantId: row.tenant_id,
              ticketId: row.ticket_id,
              lapsedSince: row.lapsed_since,
              cause: row.cause,
              lastOwnerId: row.last_owner_id,
            },
            this.settings.afterSeconds,
            now,
          );
        }
        await client.query('COMMIT');
        alerted += rows.length;
        if (rows.length < batch || stopping?.aborted) return alerted;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  }
}

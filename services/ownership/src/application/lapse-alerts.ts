import type { MetricsService } from '@handoff/platform';
import type { Pool } from 'pg';
import type { OwnershipEvent } from '../domain/ownership.events';
import type { Clock, LapseAlertSink } from './ownership.ports';

/** A structured log line: `msg` plus fields (tenant and ticket ids, never credentials). */
export interface AlertLog {
  warn(fields: { msg: string; alert: string } & Record<string, unknown>): void;
}

/** A lapse that has lasted longer than the alert threshold, as the read model records it. */
export interface OverdueLapse {
  tenantId: string;
  ticketId: string;
  lapsedSince: Date;
  cause: string | null;
  lastOwnerId: string | null;
}

interface LapseFigures {
  tenantId: string;
  lapsed: number;
  oldestSeconds: number;
}

/**
 * The alerting of ownership lapses: a warn log and a counter when a lapse begins (called by the
 * command handlers once the `OwnershipLapsed` is appended), a warn log and a counter when one has
 * lasted too long (called by {@link LapseOverdueAlerts}), and gauges of the lapsed tickets per tenant
 * read from the read model at scrape time, so every replica reports the same durable figure.
 */
export class LapseAlerts implements LapseAlertSink {
  private readonly begun;
  private readonly overdueCount;

  constructor(
    metrics: MetricsService,
    pool: Pool,
    knownTenants: readonly string[],
    private readonly log: AlertLog,
    clock: Clock,
  ) {
    this.begun = metrics.counter<'tenant' | 'cause'>({
      name: 'ownership_lapses_begun_total',
      help: 'Ownership lapses begun (an open ticket left without a named owner), by this instance',
      labelNames: ['tenant', 'cause'],
    });
    this.overdueCount = metrics.counter<'tenant'>({
      name: 'ownership_lapses_overdue_total',
      help: 'Ownership lapses alerted for lasting longer than LAPSE_ALERT_AFTER_SECONDS',
      labelNames: ['tenant'],
    });
    // One query per scrape feeds both gauges: the registry collects them concurrently, so the second
    // collect joins the query in flight; the next scrape queries afresh.
    let pending: Promise<LapseFigures[]> | undefined;
    const figures = () =>
      (pending ??= lapseFigures(pool, clock.now()).finally(() => {
        pending = undefined;
      }));
    metrics.gauge<'tenant'>({
      name: 'ownership_lapsed_tickets',
      help: 'Open tickets without a named accountable owner now (lapsed), per tenant',
      labelNames: ['tenant'],
      async collect() {
        const rows = await figures();
        this.reset();
        // Tenants without a lapse report 0 rather than no series, so alert rules see them.
        for (const tenant of knownTenants) this.set({ tenant }, 0);
        for (const row of rows) this.set({ tenant: row.tenantId }, row.lapsed);
      },
    });
    metrics.gauge<'tenant'>({
      name: 'ownership_oldest_lapse_seconds',
      help: 'Age of the oldest current lapse, per tenant (0 when none)',
      labelNames: ['tenant'],
      async collect() {
        const rows = await figures();
        this.reset();
        for (const tenant of knownTenants) this.set({ tenant }, 0);
        for (const row of rows) this.set({ tenant: row.tenantId }, row.oldestSeconds);
      },
    });
  }

  lapsesBegan(events: readonly OwnershipEvent[]): void {
    for (const event of events) {
      if (event.type !== 'OwnershipLapsed') continue;
      const { tenantId, ticketId, lapsedSince, cause, previousOwner } = event.data;
      this.begun.inc({ tenant: tenantId, cause });
      this.log.warn({
        msg: `ownership lapse began: ticket ${ticketId} has no named owner (${cause})`,
        alert: 'ownership-lapse-began',
        tenantId,
        ticketId,
        cause,
        lapsedSince,
        ...(previousOwner === undefined ? {} : { previousOwnerId: previousOwner.id }),
      });
    }
  }

  lapseOverdue(lapse: OverdueLapse, thresholdSeconds: number, now: Date): void {
    this.overdueCount.inc({ tenant: lapse.tenantId });
    const lapsedForSeconds = Math.round((now.getTime() - lapse.lapsedSince.getTime()) / 1000);
    this.log.warn({
      msg: `ownership lapse overdue: ticket ${lapse.ticketId} has had no named owner for ${lapsedForSeconds} s (threshold ${thresholdSeconds} s)`,
      alert: 'ownership-lapse-overdue',
      tenantId: lapse.tenantId,
      ticketId: lapse.ticketId,
      lapsedSince: lapse.lapsedSince.toISOString(),
      lapsedForSeconds,
      thresholdSeconds,
      ...(lapse.cause === null ? {} : { cause: lapse.cause }),
      ...(lapse.lastOwnerId === null ? {} : { previousOwnerId: lapse.lastOwnerId }),
    });
  }
}

async function lapseFigures(pool: Pool, now: Date): Promise<LapseFigures[]> {
  const { rows } = await pool.query<{ tenant_id: string; lapsed: number; oldest: number }>(
    `SELECT tenant_id, count(*)::int AS lapsed,
            greatest(0, extract(epoch FROM ($1::timestamptz - min(lapsed_since))))::float8 AS oldest
       FROM ownership.tickets
      WHERE status = 'lapsed' AND lapsed_since IS NOT NULL
      GROUP BY tenant_id`,
    [now.toISOString()],
  );
  return rows.map((row) => ({ tenantId: row.tenant_id, lapsed: row.lapsed, oldestSeconds: row.oldest }));
}

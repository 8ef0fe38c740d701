import type { Counter } from 'prom-client';
import type { MetricsService } from '@handoff/platform';
import { DAY_MS } from '../domain/figure-definitions';
import type { InsightsQueries } from './insights-queries';

/**
 * Prometheus figures of insights: counters of the folding, and gauges of the headline figures per
 * tenant over the last METRICS_WINDOW_DAYS, computed from the read models at scrape time.
 */
export class InsightsMetrics {
  private readonly folded: Counter<'type' | 'kept'>;
  private readonly derived: Counter;

  constructor(metrics: MetricsService, queries: InsightsQueries, windowDays: number, clock: () => Date) {
    this.folded = metrics.counter({
      name: 'insights_events_folded_total',
      help: 'Public events folded into the insights facts (kept=false: no figure needs the type)',
      labelNames: ['type', 'kept'],
    });
    this.derived = metrics.counter({
      name: 'insights_tickets_derived_total',
      help: 'Ticket derivations written to the read models',
    });
    // One query set per scrape feeds every gauge; each gauge's collect awaits the same promise.
    let pending: { at: number; value: ReturnType<InsightsQueries['headlines']> } | undefined;
    const headlines = () => {
      const now = clock();
      if (!pending || now.getTime() - pending.at > 1_000)
        pending = { at: now.getTime(), value: queries.headlines(now, windowDays * DAY_MS) };
      return pending.value;
    };
    metrics.gauge({
      name: 'insights_repeat_rate',
      help: `Share of accepted handoffs followed by a repeat, last ${windowDays} days`,
      labelNames: ['tenant'],
      async collect() {
        this.reset();
        for (const h of (await headlines()).handoffs)
          if (h.repeatRate !== null) this.set({ tenant: h.tenantId }, h.repeatRate);
      },
    });
    metrics.gauge({
      name: 'insights_handoff_quality_score',
      help: `Average handoff quality score (0-100), last ${windowDays} days`,
      labelNames: ['tenant'],
      async collect() {
        this.reset();
        for (const h of (await headlines()).handoffs)
          if (h.avgQuality !== null) this.set({ tenant: h.tenantId }, h.avgQuality);
      },
    });
    metrics.gauge({
      name: 'insights_accepted_handoffs',
      help: `Accepted handoffs, last ${windowDays} days`,
      labelNames: ['tenant'],
      async collect() {
        this.reset();
        for (const h of (await headlines()).handoffs) this.set({ tenant: h.tenantId }, h.handoffs);
      },
    });
    metrics.gauge({
      name: 'insights_owner_changes_per_ticket',
      help: `Average owner changes per ticket opened in the last ${windowDays} days`,
      labelNames: ['tenant'],
      async collect() {
        this.reset();
        for (const t of (await headlines()).tickets)
          if (t.avgOwnerChanges !== null) this.set({ tenant: t.tenantId }, t.avgOwnerChanges);
      },
    });
    metrics.gauge({
      name: 'insights_csat_average',
      help: `Average CSAT (1-5) of escalated and not escalated tickets, last ${windowDays} days`,
      labelNames: ['tenant', 'escalated'],
      async collect() {
        this.reset();
        for (const c of (await headlines()).csat)
          if (c.avgScore !== null)
            this.set({ tenant: c.tenantId, escalated: String(c.escalated) }, c.avgScore);
      },
    });
  }

  countFolded(type: string, kept: boolean): void {
    this.folded.inc({ type, kept: String(kept) });
  }

  countDerived(tickets: number): void {
    this.derived.inc(tickets);
  }
}

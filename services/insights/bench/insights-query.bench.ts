import 'reflect-metadata';
import { defineBenchmark, elapsedMs, percentiles } from '@handoff/testing';
import { InsightsQueries } from '../src/application/insights-queries';
import { openInsightsReadModels } from '../src/bootstrap';
import type { FigureQuery } from '../src/application/figure-query';
import { REBUILD_ROLLUPS } from '../src/projections/daily-rollups';
import { DAY_MS } from '../src/domain/figure-definitions';

/** Handoff rows seeded (the size by default); INSIGHTS_BENCH_HANDOFFS overrides. */
const HANDOFFS = Number(process.env['INSIGHTS_BENCH_HANDOFFS'] ?? 1_000_000);
const SAMPLES = Number(process.env['INSIGHTS_BENCH_SAMPLES'] ?? 20);
const TENANT = 'bench-tenant';
const START = Date.parse('2026-01-01T00:00:00.000Z');
const SPAN_DAYS = 90;

/**
 * p99 of the figure queries for a 30-day window over HANDOFFS handoffs of one tenant spread over 90
 * days (a third of them in the window), seeded with SQL into the real read-model tables with their
 * indexes. Baseline, same run: the bare count of the window's handoffs (the least any figure over
 * that window must read).
 */
export default defineBenchmark({
  name: 'insights-query',
  description: `figure queries over a 30-day window of ${HANDOFFS} handoffs (seeded with SQL)`,
  needs: ['postgres'],
  async run(ctx) {
    const db = await ctx.createDatabase('insights_query');
    const dataSource = await openInsightsReadModels(db.url, 4);
    try {
      const seedMs = await elapsedMs(() => seed(dataSource.query.bind(dataSource)));
      ctx.log(
        `seeded ${HANDOFFS} handoffs, ${HANDOFFS / 2 + HANDOFFS / 10} tickets in ${(seedMs / 1000).toFixed(1)} s`,
      );
      const queries = new InsightsQueries(dataSource);
      // A 30-day window that cuts days at both ends (12:00 to 12:00): 29 whole days from the roll-ups,
      // two half days from the rows.
      const window = { from: new Date(START + 30.5 * DAY_MS), to: new Date(START + 60.5 * DAY_MS) };
      const q = (by: FigureQuery['by']): FigureQuery => ({ tenantId: TENANT, window, by });
      const measure = async (run: () => Promise<unknown>): Promise<number[]> => {
        for (let i = 0; i < 2; i++) await run();
        const samples: number[] = [];
        for (let i = 0; i < SAMPLES; i++) samples.push(await elapsedMs(run));
        return samples;
      };
      const baseline = percentiles(
        await measure(() =>
          dataSource.query(
            'SELECT count(*) FROM insights.handoffs WHERE tenant_id = $1 AND accepted_at >= $2 AND accepted_at < $3',
            [TENANT, window.from, window.to],
          ),
        ),
      );
      const figures: [string, () => Promise<unknown>][] = [
        ['repeats by edge', () => queries.repeats(q('edge'))],
        ['handoff-quality by edge', () => queries.handoffQuality(q('edge'))],
        ['handoff-quality by receiver', () => queries.handoffQuality(q('receiver'))],
        ['resolution-after-transfer by edge', () => queries.resolutionAfterTransfer(q('edge'))],
        ['owner-changes by team', () => queries.ownerChanges(q('team'), 3)],
        ['csat by channel', () => queries.csat(q('channel'))],
      ];
      for (const [name, run] of figures) {
        const p = percentiles(await measure(run));
        ctx.log(`${name}: median ${p.median.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms`);
        ctx.record({
          metric: `query p99: ${name}, 30-day window`,
          unit: 'ms',
          value: p.p99,
          baseline: baseline.p99,
          higherIsBetter: false,
          median: p.median,
          p95: p.p95,
          p99: p.p99,
          note:
            `${HANDOFFS} handoffs over ${SPAN_DAYS} days (≈ ${Math.round(HANDOFFS / 3)} in the window), ${SAMPLES} samples ` +
            'after 2 warm-ups; baseline: count(*) of the window on the (tenant_id, accepted_at) index',
        });
      }
    } finally {
      await dataSource.destroy();
    }
  },
});

async function seed(query: (sql: string, params?: unknown[]) => Promise<unknown>): Promise<void> {
  const span = SPAN_DAYS * DAY_MS;
  const tickets = HANDOFFS / 2;
  const baseline = HANDOFFS / 10;
  const start = new Date(START).toISOString();
  // Tickets with two handoffs each (`ht<n>`), then same-intent tickets resolved without a handoff.
  await query(
    `INSERT INTO insights.tickets
     SELECT $1, 'ht' || g, $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000),
            (ARRAY['web_chat','email','whatsapp'])[1 + g % 3], 'c' || g,
            (ARRAY['refund','delivery','billing','login','other'])[1 + g % 5],
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 3600 + g % 7200),
            (3600 + g % 7200) * 1000, NULL, 0, 2 + g % 3, 'agent', 'agent-' || g % 50, 'tier' || (1 + g % 3), 2,
            jsonb_build_array((ARRAY['bot→tier1','tier1→tier2','web_chat→email'])[1 + g % 3], 'tier2→tier3'),
            g % 7 / 6, 0
       FROM generate_series(1, $4::int) g`,
    [TENANT, start, span, tickets],
  );
  await query(
    `INSERT INTO insights.tickets
     SELECT $1, 'bt' || g, $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000),
            (ARRAY['web_chat','email','whatsapp'])[1 + g % 3], 'c' || g,
            (ARRAY['refund','delivery','billing','login','other'])[1 + g % 5],
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 1800 + g % 3600),
            (1800 + g % 3600) * 1000, NULL, 0, 0, 'bot', 'bot', NULL, 0, '[]'::jsonb, 0, 0
       FROM generate_series(1, $4::int) g`,
    [TENANT, start, span, baseline],
  );
  const components = JSON.stringify({
    accept: { weight: 20, credit: 1, points: 20 },
    firstReply: { weight: 20, credit: 0.5, points: 10 },
    noRepeat: { weight: 20, credit: 1, points: 20 },
    notBounced: { weight: 15, credit: 1, points: 15 },
    notReopened: { weight: 10, credit: 1, points: 10 },
    csat: { weight: 15, credit: 0.75, points: 11.25 },
  });
  await query(
    `INSERT INTO insights.handoffs
     SELECT $1, 'ht' || ((g + 1) / 2), 'h' || g,
            (ARRAY['ai_to_human','tier_escalation','channel_switch'])[1 + g % 3],
            CASE WHEN g % 2 = 1 THEN (ARRAY['bot→tier1','tier1→tier2','web_chat→email'])[1 + ((g + 1) / 2) % 3]
                 ELSE 'tier2→tier3' END,
            'agent-' || g % 40, 'agent', 'agent-' || g % 50, 'tier' || (1 + g % 3),
            (ARRAY['web_chat','email','whatsapp'])[1 + g % 3],
            (ARRAY['refund','delivery','billing','login','other'])[1 + ((g + 1) / 2) % 5],
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000),
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 60 + g % 600),
            g % 5 / 4, 0, false, false, (60 + g % 600) * 1000,
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 300 + g % 600),
            (240 + g % 1200) * 1000, (240 + g % 600) * 1000, g % 17 = 0, g % 20 / 19, g % 13 = 0, g % 11 = 0,
            1 + g % 5, NULL, (1800 + g % 3600) * 1000, (3600 + ((g + 1) / 2) % 7200) * 1000, 40 + g % 61, $5::jsonb,
            20, 10 * (g % 3), 20 * (1 - g % 20 / 19), 15, 10, 3.75 * (g % 5)
       FROM generate_series(1, $4::int) g`,
    [TENANT, start, span, HANDOFFS, components],
  );
  await query(
    `INSERT INTO insights.repeats
     SELECT $1, 'ht' || ((g + 1) / 2), 'd' || g, 'h' || g, 'm' || g,
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 900),
            'restated_value', '["order_number"]'::jsonb, jsonb_build_array('m' || g)
       FROM generate_series(20, $4::int, 20) g`,
    [TENANT, start, span, HANDOFFS],
  );
  await query(
    `INSERT INTO insights.csat_responses
     SELECT $1, 'ht' || g, 'r' || g, 1 + g % 5, (ARRAY['web_chat','email','whatsapp'])[1 + g % 3],
            $2::timestamptz + make_interval(secs => (g::float8 * $3 / $4) / 1000 + 7200),
            g % 4 <> 0, 'agent', 'agent-' || g % 50, 'tier' || (1 + g % 3)
       FROM generate_series(1, $4::int, 2) g`,
    [TENANT, start, span, HANDOFFS / 2],
  );
  for (const statement of REBUILD_ROLLUPS) await query(statement);
  // VACUUM sets the visibility map too, so index-only scans need not visit the heap.
  await query(
    'VACUUM ANALYZE insights.tickets, insights.handoffs, insights.repeats, insights.csat_responses, ' +
      'insights.handoff_daily, insights.ticket_intent_daily',
  );
}

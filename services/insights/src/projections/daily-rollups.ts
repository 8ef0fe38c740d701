// Daily roll-ups of the derived handoffs and tickets: what makes a figure over a 30-day window read
// a few thousand rows instead of every handoff in it. The deriver keeps them exact: in the batch
// transaction it subtracts the contribution of a ticket's old rows and adds that of its new rows, so
// a roll-up is always the sum of the rows it summarises (and a replay rebuilds it with the rest).
// A query reads the whole UTC days of its window from the roll-up and the partial days at its edges
// from the rows themselves, so any window stays exact.

/**
 * One additive measure of a handoff: its column in the roll-up, its value for one handoff row `h`.
 * Every value is an integer (the score in tenths, points in hundredths: their own precision), so the
 * sums stay exact however often a ticket's contribution is subtracted and added again.
 */
export const HANDOFF_MEASURES = [
  ['handoffs', '1'],
  ['with_repeat', '(h.repeats > 0)::int'],
  ['repeats', 'h.repeats'],
  ['resolved', '(h.resolved_at IS NOT NULL)::int'],
  ['resolution_sum', 'coalesce(h.accept_to_resolution_ms, 0)'],
  ['idle_n', '(h.idle_ms IS NOT NULL)::int'],
  ['idle_sum', 'coalesce(h.idle_ms, 0)'],
  ['no_reply', 'h.no_reply::int'],
  ['scored', '(h.score IS NOT NULL)::int'],
  ['score_tenths', 'round(coalesce(h.score, 0) * 10)'],
  ['accept_sum', 'CASE WHEN h.score IS NOT NULL THEN h.time_to_accept_ms ELSE 0 END'],
  ['reply_n', '(h.score IS NOT NULL AND h.time_to_first_meaningful_reply_ms IS NOT NULL)::int'],
  [
    'reply_sum',
    'CASE WHEN h.score IS NOT NULL THEN coalesce(h.time_to_first_meaningful_reply_ms, 0) ELSE 0 END',
  ],
  ['without_reply', '(h.score IS NOT NULL AND h.time_to_first_meaningful_reply_ms IS NULL)::int'],
  ['p_accept_hundredths', 'round(coalesce(h.points_accept, 0) * 100)'],
  ['p_first_reply_hundredths', 'round(coalesce(h.points_first_reply, 0) * 100)'],
  ['p_no_repeat_hundredths', 'round(coalesce(h.points_no_repeat, 0) * 100)'],
  ['p_not_bounced_hundredths', 'round(coalesce(h.points_not_bounced, 0) * 100)'],
  ['p_not_reopened_hundredths', 'round(coalesce(h.points_not_reopened, 0) * 100)'],
  ['p_csat_hundredths', 'round(coalesce(h.points_csat, 0) * 100)'],
  ['p_csat_n', '(h.points_csat IS NOT NULL)::int'],
  ['scored_repeat', '(h.score IS NOT NULL AND h.repeats > 0)::int'],
  ['bounced', '(h.score IS NOT NULL AND h.bounced)::int'],
  ['reopened', '(h.score IS NOT NULL AND h.reopened)::int'],
  ['csat_n', '(h.score IS NOT NULL AND h.csat_after IS NOT NULL)::int'],
  ['csat_sum', 'CASE WHEN h.score IS NOT NULL THEN coalesce(h.csat_after, 0) ELSE 0 END'],
  ['transferred_n', '(h.intent IS NOT NULL AND h.ticket_resolution_ms IS NOT NULL)::int'],
  ['transferred_sum', 'CASE WHEN h.intent IS NOT NULL THEN coalesce(h.ticket_resolution_ms, 0) ELSE 0 END'],
] as const;
export type HandoffMeasure = (typeof HANDOFF_MEASURES)[number][0];

/**
 * Each handoff counts once per dimension, under its value: one roll-up row per day, dimension, value
 * and intent, so a 30-day figure by any one dimension reads a few rows per value and day (a roll-up
 * keyed by every dimension at once would have nearly one row per handoff).
 */
const DIMENSION_VALUES = `CROSS JOIN LATERAL (VALUES ('all', 'all'), ('edge', h.edge),
    ('team', coalesce(h.receiver_team, '(none)')), ('agent', coalesce(h.receiver_id, '(none)')),
    ('sender', coalesce(h.sender_id, '(none)')), ('channel', coalesce(h.channel, '(none)'))) AS dv (dimension, value)`;

/** The roll-up dimension of a figure's `by` (`receiver` is the receiving agent). */
export const rollupDimension = (by: string | undefined): string =>
  by === undefined ? 'all' : by === 'receiver' ? 'agent' : by;

export const HANDOFF_DAILY_DDL = `
  CREATE TABLE insights.handoff_daily (
    tenant_id text NOT NULL, day date NOT NULL, dimension text NOT NULL, value text NOT NULL,
    intent text NOT NULL,
    ${HANDOFF_MEASURES.map(([c]) => `${c} double precision NOT NULL`).join(', ')},
    PRIMARY KEY (tenant_id, dimension, day, value, intent))`;

/** Tickets resolved, by the day they opened, intent and edge (`*`: all; `(no handoff)`; each edge crossed). */
export const TICKET_INTENT_DAILY_DDL = `
  CREATE TABLE insights.ticket_intent_daily (
    tenant_id text NOT NULL, day date NOT NULL, intent text NOT NULL, edge text NOT NULL,
    n double precision NOT NULL, resolution_sum double precision NOT NULL,
    PRIMARY KEY (tenant_id, day, intent, edge))`;

/** The edges a resolved ticket `t` with an intent counts under. */
export const TICKET_EDGES_LATERAL = `
  CROSS JOIN LATERAL (
    SELECT '*' AS edge
    UNION ALL SELECT '(no handoff)' WHERE t.accepted_handoffs = 0
    UNION ALL SELECT DISTINCT jsonb_array_elements_text(t.edges)) e`;

const BATCH = `JOIN (SELECT * FROM unnest($2::text[], $3::text[]) AS k (tenant_id, ticket_id)) k
  ON k.tenant_id = x.tenant_id AND k.ticket_id = x.ticket_id`;

/**
 * Adds (`$1` = 1) or subtracts (`$1` = -1) the handoffs of the tickets `$2`/`$3` (tenant and ticket
 * ids) to/from the daily roll-up.
 */
export const APPLY_HANDOFF_ROLLUP = `
  INSERT INTO insights.handoff_daily AS d
  SELECT h.tenant_id, (h.accepted_at AT TIME ZONE 'UTC')::date, dv.dimension, dv.value,
         coalesce(h.intent, '(none)'),
         ${HANDOFF_MEASURES.map(([, e]) => `$1::int * sum(${e})::float8`).join(', ')}
    FROM insights.handoffs h ${BATCH.replace(/x\./g, 'h.')} ${DIMENSION_VALUES}
   WHERE h.accepted_at IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (tenant_id, dimension, day, value, intent) DO UPDATE SET
    ${HANDOFF_MEASURES.map(([c]) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;

/** The same for the resolved tickets with an intent. */
export const APPLY_TICKET_ROLLUP = `
  INSERT INTO insights.ticket_intent_daily AS d
  SELECT t.tenant_id, (t.opened_at AT TIME ZONE 'UTC')::date, t.intent, e.edge,
         $1::int * count(*)::float8, $1::int * sum(t.resolution_ms)::float8
    FROM insights.tickets t ${BATCH.replace(/x\./g, 't.')} ${TICKET_EDGES_LATERAL}
   WHERE t.intent IS NOT NULL AND t.resolution_ms IS NOT NULL
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, day, intent, edge) DO UPDATE SET
    n = d.n + excluded.n, resolution_sum = d.resolution_sum + excluded.resolution_sum`;

/**
 * Recomputes both roll-ups from the rows they summarise (after rows were written other than by the
 * deriver, e.g. seeded by a benchmark); run in one transaction with nothing deriving meanwhile.
 */
export const REBUILD_ROLLUPS = [
  'TRUNCATE insights.handoff_daily, insights.ticket_intent_daily',
  `INSERT INTO insights.handoff_daily
   SELECT h.tenant_id, (h.accepted_at AT TIME ZONE 'UTC')::date, dv.dimension, dv.value,
          coalesce(h.intent, '(none)'), ${HANDOFF_MEASURES.map(([, e]) => `sum(${e})::float8`).join(', ')}
     FROM insights.handoffs h ${DIMENSION_VALUES}
    WHERE h.accepted_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5`,
  `INSERT INTO insights.ticket_intent_daily
   SELECT t.tenant_id, (t.opened_at AT TIME ZONE 'UTC')::date, t.intent, e.edge, count(*)::float8,
          sum(t.resolution_ms)::float8
     FROM insights.tickets t ${TICKET_EDGES_LATERAL}
    WHERE t.intent IS NOT NULL AND t.resolution_ms IS NOT NULL
    GROUP BY 1, 2, 3, 4`,
];

/** The whole UTC days inside `[from, to)`, or none (then the rows serve the whole window). */
export function wholeDays(from: Date, to: Date): { dayFrom: Date; dayTo: Date } {
  const DAY = 24 * 60 * 60 * 1000;
  const first = Math.ceil(from.getTime() / DAY) * DAY;
  const last = Math.floor(to.getTime() / DAY) * DAY;
  return first < last ? { dayFrom: new Date(first), dayTo: new Date(last) } : { dayFrom: to, dayTo: to };
}

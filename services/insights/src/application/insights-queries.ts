import type { DataSource } from 'typeorm';
import { attributedMean } from '../domain/csat-attribution';
import { rate, type Dimension } from '../domain/figure-definitions';
import { QUALITY_WEIGHTS, type QualityComponentName } from '../domain/handoff-quality';
import {
  HANDOFF_MEASURES,
  rollupDimension,
  TICKET_EDGES_LATERAL,
  wholeDays,
  type HandoffMeasure,
} from '../projections/daily-rollups';
import type { FigureQuery } from './figure-query';

// The SQL of every figure. Dimensions map to whitelisted column expressions only (never to input
// text), every statement filters by the principal's tenant, and windows are half-open [from, to).

type Columns = Partial<Record<Dimension, string>>;

const HANDOFF_DIMENSIONS: Columns = {
  edge: 'h.edge',
  team: 'h.receiver_team',
  agent: 'h.receiver_id',
  receiver: 'h.receiver_id',
  sender: 'h.sender_id',
  channel: 'h.channel',
};
const TICKET_DIMENSIONS: Columns = {
  team: 't.last_owner_team',
  agent: 't.last_owner_id',
  channel: 't.channel',
};
const RESPONSE_DIMENSIONS: Columns = { team: 'c.owner_team', agent: 'c.owner_id', channel: 'c.channel' };
const ATTRIBUTION_DIMENSIONS: Columns = { team: 'a.team_id', agent: 'a.owner_id', channel: 'a.channel' };
const TRANSFER_DIMENSIONS: Columns = { team: 'x.from_team', agent: 'x.from_id', channel: 't.channel' };

/** The group key expression: the dimension's column (`(none)` when unknown) or `all`. */
function keyOf(columns: Columns, by: Dimension | undefined): string {
  if (by === undefined) return `'all'`;
  const column = columns[by];
  if (column === undefined) throw new Error(`no column for dimension ${by}`);
  return `coalesce(${column}, '(none)')`;
}

const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const ms = (value: unknown): number | null => {
  const n = numOrNull(value);
  return n === null ? null : Math.round(n);
};
const round4 = (value: unknown): number | null => {
  const n = numOrNull(value);
  return n === null ? null : Math.round(n * 10_000) / 10_000;
};

/** Where a ticket's handoff story is, for evidence links. */
export const storyLink = (ticketId: string): string =>
  `/v1/tickets/${encodeURIComponent(ticketId)}/handoff-story`;

const windowOf = (q: FigureQuery) => ({ from: q.window.from.toISOString(), to: q.window.to.toISOString() });

export class InsightsQueries {
  constructor(private readonly db: DataSource) {}

  private rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.query<T[]>(sql, params);
  }

  /**
   * The handoff measures of the window by group (and intent): whole days from the daily roll-up,
   * the partial days at the window's edges from the handoff rows.
   */
  private async handoffMeasures(q: FigureQuery, byIntent = false) {
    const { dayFrom, dayTo } = wholeDays(q.window.from, q.window.to);
    const group = byIntent ? 'key, intent' : 'key';
    return this.rows<{ key: string; intent: string } & Record<HandoffMeasure, number>>(
      `SELECT ${group}, ${HANDOFF_MEASURES.map(([c]) => `sum(${c})::float8 AS ${c}`).join(', ')}
         FROM (SELECT d.value AS key, d.intent, ${HANDOFF_MEASURES.map(([c]) => `d.${c}`).join(', ')}
                 FROM insights.handoff_daily d
                WHERE d.tenant_id = $1 AND d.dimension = $6
                  AND d.day >= ($4::timestamptz AT TIME ZONE 'UTC')::date
                  AND d.day < ($5::timestamptz AT TIME ZONE 'UTC')::date
               UNION ALL
               SELECT ${keyOf(HANDOFF_DIMENSIONS, q.by)} AS key, coalesce(h.intent, '(none)') AS intent,
                      ${HANDOFF_MEASURES.map(([c, e]) => `(${e})::float8 AS ${c}`).join(', ')}
                 FROM insights.handoffs h
                WHERE h.tenant_id = $1 AND ((h.accepted_at >= $2 AND h.accepted_at < $4)
                   OR (h.accepted_at >= $5 AND h.accepted_at < $3))) s
        GROUP BY ${group} HAVING sum(handoffs) > 0 ORDER BY ${group}`,
      [q.tenantId, q.window.from, q.window.to, dayFrom, dayTo, rollupDimension(q.by)],
    );
  }

  /** Warning sign 1: customers repeating information after a handoff. */
  async repeats(q: FigureQuery) {
    const key = keyOf(HANDOFF_DIMENSIONS, q.by);
    const groups = await this.handoffMeasures(q);
    const evidence = await this.rows<{
      key: string;
      ticket_id: string;
      handoff_id: string;
      detection_id: string;
      message_id: string;
      repeat_kind: string;
      fact_kinds: string[];
      evidence: string[];
      at: Date;
    }>(
      `SELECT ${key} AS key, r.ticket_id, r.handoff_id, r.detection_id, r.message_id, r.repeat_kind,
              r.fact_kinds, r.evidence, r.at
         FROM insights.handoffs h
         JOIN insights.repeats r
           ON r.tenant_id = h.tenant_id AND r.ticket_id = h.ticket_id AND r.handoff_id = h.handoff_id
        WHERE h.tenant_id = $1 AND h.accepted_at >= $2 AND h.accepted_at < $3 AND h.repeats > 0
        ORDER BY r.at, r.detection_id LIMIT 2000`,
      [q.tenantId, q.window.from, q.window.to],
    );
    return {
      figure: 'repeats',
      by: q.by ?? null,
      window: windowOf(q),
      rows: groups.map((g) => ({
        key: g.key,
        handoffs: g.handoffs,
        handoffsWithRepeat: g.with_repeat,
        repeats: g.repeats,
        repeatRate: rate(g.with_repeat, g.handoffs),
        evidence: evidence
          .filter((e) => e.key === g.key)
          .slice(0, 50)
          .map((e) => ({
            ticketId: e.ticket_id,
            handoffId: e.handoff_id,
            detectionId: e.detection_id,
            messageId: e.message_id,
            repeatKind: e.repeat_kind,
            factKinds: e.fact_kinds,
            evidenceMessageIds: e.evidence,
            detectedAt: e.at.toISOString(),
            link: storyLink(e.ticket_id),
          })),
      })),
    };
  }

  /** Warning sign 2: frequent owner changes, loops and lapses (tickets opened in the window). */
  async ownerChanges(q: FigureQuery, threshold: number) {
    const key = keyOf(TICKET_DIMENSIONS, q.by);
    const params = [q.tenantId, q.window.from, q.window.to];
    const inWindow = `t.tenant_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3`;
    const distribution = await this.rows<{ key: string; owner_changes: number; tickets: number }>(
      `SELECT ${key} AS key, t.owner_changes, count(*)::int AS tickets FROM insights.tickets t
        WHERE ${inWindow} GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    const above = await this.rows<{ key: string; ticket_id: string; owner_changes: number }>(
      `SELECT ${key} AS key, t.ticket_id, t.owner_changes FROM insights.tickets t
        WHERE ${inWindow} AND t.owner_changes > $4 ORDER BY t.owner_changes DESC, t.ticket_id LIMIT 2000`,
      [...params, threshold],
    );
    const loops = await this.rows<{ key: string; pattern: string; loops: number; tickets: number }>(
      `SELECT ${key} AS key, l.pattern, count(*)::int AS loops, count(DISTINCT l.ticket_id)::int AS tickets
         FROM insights.ownership_loops l
         JOIN insights.tickets t ON t.tenant_id = l.tenant_id AND t.ticket_id = l.ticket_id
        WHERE ${inWindow} GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    const lapses = await this.rows<{
      key: string;
      lapses: number;
      open: number;
      avg_ms: string | null;
      max_ms: string | null;
      total_ms: string | null;
    }>(
      `SELECT ${key} AS key, count(*)::int AS lapses, (count(*) FILTER (WHERE l.ended_at IS NULL))::int AS open,
              avg(extract(epoch FROM l.ended_at - l.started_at) * 1000) AS avg_ms,
              max(extract(epoch FROM l.ended_at - l.started_at) * 1000) AS max_ms,
              sum(extract(epoch FROM l.ended_at - l.started_at) * 1000) AS total_ms
         FROM insights.ownership_lapses l
         JOIN insights.tickets t ON t.tenant_id = l.tenant_id AND t.ticket_id = l.ticket_id
        WHERE ${inWindow} GROUP BY 1 ORDER BY 1`,
      params,
    );
    const keys = [...new Set(distribution.map((d) => d.key))].sort();
    return {
      figure: 'owner-changes',
      by: q.by ?? null,
      window: windowOf(q),
      threshold,
      rows: keys.map((k) => {
        const dist = distribution.filter((d) => d.key === k);
        const tickets = dist.reduce((s, d) => s + d.tickets, 0);
        const changes = dist.reduce((s, d) => s + d.tickets * d.owner_changes, 0);
        const aboveRows = above.filter((a) => a.key === k);
        const loopRows = loops.filter((l) => l.key === k);
        const lapse = lapses.find((l) => l.key === k);
        return {
          key: k,
          tickets,
          ownerChanges: changes,
          avgOwnerChangesPerTicket: round4(tickets === 0 ? null : changes / tickets),
          distribution: dist.map((d) => ({ ownerChanges: d.owner_changes, tickets: d.tickets })),
          aboveThreshold: {
            tickets: aboveRows.length,
            rate: rate(aboveRows.length, tickets),
            ticketIds: aboveRows.slice(0, 100).map((a) => a.ticket_id),
          },
          loops: {
            total: loopRows.reduce((s, l) => s + l.loops, 0),
            byPattern: Object.fromEntries(loopRows.map((l) => [l.pattern, l.loops])),
          },
          lapses: {
            total: lapse?.lapses ?? 0,
            open: lapse?.open ?? 0,
            avgDurationMs: ms(lapse?.avg_ms),
            maxDurationMs: ms(lapse?.max_ms),
            totalDurationMs: ms(lapse?.total_ms),
          },
        };
      }),
    };
  }

  /** Warning sign 3: resolution time and idle time after transfers, against same-intent tickets. */
  async resolutionAfterTransfer(q: FigureQuery) {
    const groups = await this.handoffMeasures(q);
    const transferred = (await this.handoffMeasures(q, true)).filter(
      (i) => i.intent !== '(none)' && i.transferred_n > 0,
    );
    // Resolved tickets of each intent opened in the window: all of them (`*`), those without any
    // accepted handoff, and those that crossed each edge. A ticket "without that transfer" is, for an
    // edge, one that never crossed it (all minus crossed); for the other dimensions, one resolved
    // without any accepted handoff.
    const { dayFrom, dayTo } = wholeDays(q.window.from, q.window.to);
    const tickets = await this.rows<{ intent: string; edge: string; n: number; s: number }>(
      `SELECT intent, edge, sum(n)::float8 AS n, sum(resolution_sum)::float8 AS s
         FROM (SELECT d.intent, d.edge, d.n, d.resolution_sum FROM insights.ticket_intent_daily d
                WHERE d.tenant_id = $1 AND d.day >= ($4::timestamptz AT TIME ZONE 'UTC')::date
                  AND d.day < ($5::timestamptz AT TIME ZONE 'UTC')::date
               UNION ALL
               SELECT t.intent, e.edge, 1, t.resolution_ms FROM insights.tickets t ${TICKET_EDGES_LATERAL}
                WHERE t.tenant_id = $1 AND t.intent IS NOT NULL AND t.resolution_ms IS NOT NULL
                  AND ((t.opened_at >= $2 AND t.opened_at < $4) OR (t.opened_at >= $5 AND t.opened_at < $3))) s
        GROUP BY 1, 2`,
      [q.tenantId, q.window.from, q.window.to, dayFrom, dayTo],
    );
    const of = (intent: string, edge: string) =>
      tickets.find((t) => t.intent === intent && t.edge === edge) ?? { n: 0, s: 0 };
    const baselineOf = (key: string, intent: string) => {
      if (q.by !== 'edge') return of(intent, '(no handoff)');
      const all = of(intent, '*');
      const crossed = of(intent, key);
      return { n: all.n - crossed.n, s: all.s - crossed.s };
    };
    const avg = (sum: number, n: number) => (n > 0 ? ms(sum / n) : null);
    return {
      figure: 'resolution-after-transfer',
      by: q.by ?? null,
      window: windowOf(q),
      rows: groups.map((g) => {
        const intents = transferred
          .filter((i) => i.key === g.key)
          .map((i) => ({
            intent: i.intent,
            n: i.transferred_n,
            s: i.transferred_sum,
            base: baselineOf(g.key, i.intent),
          }));
        const compared = intents.filter((i) => i.base.n > 0);
        const weight = compared.reduce((sum, i) => sum + i.n, 0);
        return {
          key: g.key,
          handoffs: g.handoffs,
          resolved: g.resolved,
          avgAcceptToResolutionMs: avg(g.resolution_sum, g.resolved),
          avgIdleAfterTransferMs: avg(g.idle_sum, g.idle_n),
          idleMeasured: g.idle_n,
          leftWithoutReply: g.no_reply,
          sameIntentComparison: {
            // Averages over the intents that have both sides, weighted by the transferred side.
            transferredAvgResolutionMs: avg(
              compared.reduce((sum, i) => sum + i.s, 0),
              weight,
            ),
            withoutTransferAvgResolutionMs: avg(
              compared.reduce((sum, i) => sum + i.n * (i.base.s / i.base.n), 0),
              weight,
            ),
            byIntent: intents.map((i) => ({
              intent: i.intent,
              transferredTickets: i.n,
              transferredAvgResolutionMs: avg(i.s, i.n),
              withoutTransferTickets: i.base.n,
              withoutTransferAvgResolutionMs: avg(i.base.s, i.base.n),
            })),
          },
        };
      }),
    };
  }

  /** Warning sign 4: CSAT escalated vs not, and across the owner chain. */
  async csat(q: FigureQuery) {
    const params = [q.tenantId, q.window.from, q.window.to];
    const responses = await this.rows<{
      key: string;
      n: number;
      avg: string | null;
      esc_n: number;
      esc_avg: string | null;
      not_n: number;
      not_avg: string | null;
    }>(
      `SELECT ${keyOf(RESPONSE_DIMENSIONS, q.by)} AS key, count(*)::int AS n, avg(c.score) AS avg,
              (count(*) FILTER (WHERE c.escalated))::int AS esc_n, avg(c.score) FILTER (WHERE c.escalated) AS esc_avg,
              (count(*) FILTER (WHERE NOT c.escalated))::int AS not_n,
              avg(c.score) FILTER (WHERE NOT c.escalated) AS not_avg
         FROM insights.csat_responses c
        WHERE c.tenant_id = $1 AND c.responded_at >= $2 AND c.responded_at < $3 GROUP BY 1 ORDER BY 1`,
      params,
    );
    const attributed = await this.rows<{
      key: string;
      segment_label: string;
      weight: number;
      weighted: number;
    }>(
      `SELECT ${keyOf(ATTRIBUTION_DIMENSIONS, q.by)} AS key, a.segment_label,
              sum(a.weight)::float8 AS weight, sum(a.weight * a.score)::float8 AS weighted
         FROM insights.csat_attributions a
        WHERE a.tenant_id = $1 AND a.responded_at >= $2 AND a.responded_at < $3 GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    const keys = [...new Set([...responses.map((r) => r.key), ...attributed.map((a) => a.key)])].sort();
    const mean = (weight: number, weighted: number) => round4(weight === 0 ? null : weighted / weight);
    return {
      figure: 'csat',
      by: q.by ?? null,
      window: windowOf(q),
      rows: keys.map((k) => {
        const r = responses.find((x) => x.key === k);
        const segments = attributed.filter((a) => a.key === k);
        const weight = segments.reduce((s, a) => s + a.weight, 0);
        return {
          key: k,
          // Responses counted by the owner named on the response (the last agent view).
          responses: r?.n ?? 0,
          avgScore: round4(r?.avg),
          escalated: { responses: r?.esc_n ?? 0, avgScore: round4(r?.esc_avg) },
          notEscalated: { responses: r?.not_n ?? 0, avgScore: round4(r?.not_avg) },
          // Responses shared across the owner chain (equal shares per segment).
          attributed: {
            weight: round4(weight),
            avgScore: round4(
              attributedMean(segments.map((a) => ({ weight: a.weight, score: a.weighted / a.weight }))),
            ),
            bySegment: segments.map((a) => ({
              segment: a.segment_label,
              weight: round4(a.weight),
              avgScore: mean(a.weight, a.weighted),
            })),
          },
        };
      }),
    };
  }

  /** Warning sign 5: closure without outcome. */
  async closureWithoutOutcome(q: FigureQuery, reopenWithinDays: number, shiftEndMinutes: number) {
    const params = [q.tenantId, q.window.from, q.window.to];
    const closures = await this.rows<{
      key: string;
      closed: number;
      reopened: number;
      reopened_within: number;
    }>(
      `SELECT ${keyOf(TICKET_DIMENSIONS, q.by)} AS key, count(*)::int AS closed,
              count(c.reopened_at)::int AS reopened,
              (count(*) FILTER (WHERE c.reopened_at IS NOT NULL
                 AND c.reopened_at - c.closed_at <= make_interval(days => $4::int)))::int AS reopened_within
         FROM insights.closures c
         JOIN insights.tickets t ON t.tenant_id = c.tenant_id AND t.ticket_id = c.ticket_id
        WHERE c.tenant_id = $1 AND c.closed_at >= $2 AND c.closed_at < $3 GROUP BY 1 ORDER BY 1`,
      [...params, reopenWithinDays],
    );
    const transfers = await this.rows<{
      key: string;
      transfers: number;
      near: number;
      near_handover: number;
      without_reply: number;
    }>(
      `SELECT key, count(*)::int AS transfers, (count(*) FILTER (WHERE near))::int AS near,
              (count(*) FILTER (WHERE near AND shift_handover_id IS NOT NULL))::int AS near_handover,
              (count(*) FILTER (WHERE sender_replied = false))::int AS without_reply
         FROM (SELECT ${keyOf(TRANSFER_DIMENSIONS, q.by)} AS key, x.shift_handover_id, x.sender_replied,
                      EXISTS (SELECT 1 FROM insights.agent_presence p
                               WHERE p.tenant_id = x.tenant_id AND p.agent_id = x.from_id AND p.presence = 'offline'
                                 AND p.at >= x.at AND p.at <= x.at + make_interval(mins => $4::int)) AS near
                 FROM insights.transfers x
                 JOIN insights.tickets t ON t.tenant_id = x.tenant_id AND t.ticket_id = x.ticket_id
                WHERE x.tenant_id = $1 AND x.at >= $2 AND x.at < $3 AND x.from_kind = 'agent') s
        GROUP BY 1 ORDER BY 1`,
      [...params, shiftEndMinutes],
    );
    const keys = [...new Set([...closures.map((c) => c.key), ...transfers.map((t) => t.key)])].sort();
    return {
      figure: 'closure-without-outcome',
      by: q.by ?? null,
      window: windowOf(q),
      reopenWithinDays,
      shiftEndMinutes,
      rows: keys.map((k) => {
        const c = closures.find((x) => x.key === k);
        const t = transfers.find((x) => x.key === k);
        return {
          key: k,
          closed: c?.closed ?? 0,
          reopened: c?.reopened ?? 0,
          reopenedWithinDays: c?.reopened_within ?? 0,
          reopenedWithinDaysRate: rate(c?.reopened_within ?? 0, c?.closed ?? 0),
          transfersByAgents: t?.transfers ?? 0,
          transfersNearShiftEnd: t?.near ?? 0,
          transfersNearShiftEndWithHandoverNote: t?.near_handover ?? 0,
          passedOnWithoutReply: t?.without_reply ?? 0,
          passedOnWithoutReplyRate: rate(t?.without_reply ?? 0, t?.transfers ?? 0),
        };
      }),
    };
  }

  /** Handoff quality rolled up, every component's average visible. */
  async handoffQuality(q: FigureQuery) {
    const groups = (await this.handoffMeasures(q)).filter((g) => g.scored > 0);
    // Points are summed in hundredths, scores in tenths (see daily-rollups.ts).
    const points: Record<QualityComponentName, [HandoffMeasure, HandoffMeasure]> = {
      accept: ['p_accept_hundredths', 'scored'],
      firstReply: ['p_first_reply_hundredths', 'scored'],
      noRepeat: ['p_no_repeat_hundredths', 'scored'],
      notBounced: ['p_not_bounced_hundredths', 'scored'],
      notReopened: ['p_not_reopened_hundredths', 'scored'],
      csat: ['p_csat_hundredths', 'p_csat_n'],
    };
    const mean = (sum: number, n: number) => (n > 0 ? round4(sum / n) : null);
    return {
      figure: 'handoff-quality',
      by: q.by ?? null,
      window: windowOf(q),
      weights: QUALITY_WEIGHTS,
      rows: groups.map((g) => ({
        key: g.key,
        handoffs: g.scored,
        avgScore: mean(g.score_tenths / 10, g.scored),
        avgPoints: Object.fromEntries(
          (Object.keys(QUALITY_WEIGHTS) as QualityComponentName[]).map((c) => [
            c,
            mean(g[points[c][0]] / 100, g[points[c][1]]),
          ]),
        ),
        avgTimeToAcceptMs: g.scored > 0 ? ms(g.accept_sum / g.scored) : null,
        avgTimeToFirstMeaningfulReplyMs: g.reply_n > 0 ? ms(g.reply_sum / g.reply_n) : null,
        withoutMeaningfulReply: g.without_reply,
        repeatRate: rate(g.scored_repeat, g.scored),
        bounceRate: rate(g.bounced, g.scored),
        reopenRate: rate(g.reopened, g.scored),
        csatAfter: { responses: g.csat_n, avgScore: mean(g.csat_sum, g.csat_n) },
      })),
    };
  }

  /** The headline figures of every tenant over the last `windowMs`, for the Prometheus gauges. */
  async headlines(now: Date, windowMs: number) {
    const params = [new Date(now.getTime() - windowMs), now];
    // Whole days from the roll-up: a scrape must stay cheap whatever the number of handoffs.
    const handoffs = await this.rows<{
      tenant_id: string;
      handoffs: number;
      repeated: number;
      avg_score: number | null;
    }>(
      `SELECT d.tenant_id, sum(d.handoffs)::float8 AS handoffs, sum(d.with_repeat)::float8 AS repeated,
              sum(d.score_tenths)::float8 / 10 / nullif(sum(d.scored), 0) AS avg_score
         FROM insights.handoff_daily d
        WHERE d.dimension = 'all' AND d.day >= ($1::timestamptz AT TIME ZONE 'UTC')::date
          AND d.day <= ($2::timestamptz AT TIME ZONE 'UTC')::date
        GROUP BY 1 HAVING sum(d.handoffs) > 0`,
      params,
    );
    const tickets = await this.rows<{ tenant_id: string; avg_changes: string | null }>(
      `SELECT t.tenant_id, avg(t.owner_changes) AS avg_changes FROM insights.tickets t
        WHERE t.opened_at >= $1 AND t.opened_at < $2 GROUP BY 1`,
      params,
    );
    const csat = await this.rows<{ tenant_id: string; escalated: boolean; avg: string | null }>(
      `SELECT c.tenant_id, c.escalated, avg(c.score) AS avg FROM insights.csat_responses c
        WHERE c.responded_at >= $1 AND c.responded_at < $2 GROUP BY 1, 2`,
      params,
    );
    return {
      handoffs: handoffs.map((h) => ({
        tenantId: h.tenant_id,
        handoffs: h.handoffs,
        repeatRate: rate(h.repeated, h.handoffs),
        avgQuality: round4(h.avg_score),
      })),
      tickets: tickets.map((t) => ({ tenantId: t.tenant_id, avgOwnerChanges: round4(t.avg_changes) })),
      csat: csat.map((c) => ({ tenantId: c.tenant_id, escalated: c.escalated, avgScore: round4(c.avg) })),
    };
  }
}

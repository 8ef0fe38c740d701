import type { Owner } from '../domain/ticket-fact';
import type { TicketInsight } from '../domain/ticket-insight';

// Maps a derived TicketInsight to the rows of the derived tables (column names as keys, so they can
// be written with jsonb_populate_recordset in one statement per table and batch).

type Row = Record<string, unknown>;

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

const ownerColumns = (prefix: string, owner: Owner | null | undefined): Row => ({
  [`${prefix}_kind`]: owner?.kind ?? null,
  [`${prefix}_id`]: owner?.id ?? null,
});

/** The derived tables, in the order they are rewritten. */
export const DERIVED_TABLES = [
  'tickets',
  'handoffs',
  'owner_segments',
  'transfers',
  'ownership_lapses',
  'ownership_loops',
  'closures',
  'repeats',
  'csat_responses',
  'csat_attributions',
] as const;
export type DerivedTable = (typeof DERIVED_TABLES)[number];

export function insightRows(
  tenantId: string,
  ticketId: string,
  insight: TicketInsight,
): Record<DerivedTable, Row[]> {
  const key = { tenant_id: tenantId, ticket_id: ticketId };
  const t = insight.ticket;
  return {
    tickets: [
      {
        ...key,
        opened_at: iso(t.openedAt),
        channel: t.channel,
        customer_id: t.customerId,
        intent: t.intent,
        first_resolved_at: iso(t.firstResolvedAt),
        resolution_ms: t.resolutionMs,
        closed_at: iso(t.closedAt),
        reopen_count: t.reopenCount,
        owner_changes: t.ownerChanges,
        ...ownerColumns('last_owner', t.lastOwner),
        last_owner_team: t.lastOwner?.teamId ?? null,
        accepted_handoffs: t.acceptedHandoffs,
        edges: t.edges,
        loops: t.loops,
        lapses: t.lapses,
      },
    ],
    handoffs: insight.handoffs.map((h) => ({
      ...key,
      handoff_id: h.handoffId,
      handoff_type: h.handoffType,
      edge: h.edge,
      sender_id: h.senderId,
      sender_kind: h.senderKind,
      receiver_id: h.receiverId,
      receiver_team: h.receiverTeam,
      channel: h.channel,
      intent: h.intent,
      requested_at: iso(h.requestedAt),
      accepted_at: iso(h.acceptedAt),
      declines: h.declines,
      expiries: h.expiries,
      without_brief: h.withoutBrief,
      cancelled: h.cancelled,
      time_to_accept_ms: h.timeToAcceptMs,
      first_reply_at: iso(h.firstReplyAt),
      time_to_first_meaningful_reply_ms: h.timeToFirstMeaningfulReplyMs,
      idle_ms: h.idleMs,
      no_reply: h.noReply,
      repeats: h.repeats,
      bounced: h.bounced,
      reopened: h.reopened,
      csat_after: h.csatAfter,
      resolved_at: iso(h.resolvedAt),
      accept_to_resolution_ms: h.acceptToResolutionMs,
      ticket_resolution_ms: t.resolutionMs,
      score: h.quality?.score ?? null,
      components: h.quality?.components ?? null,
      points_accept: h.quality?.components.accept.points ?? null,
      points_first_reply: h.quality?.components.firstReply.points ?? null,
      points_no_repeat: h.quality?.components.noRepeat.points ?? null,
      points_not_bounced: h.quality?.components.notBounced.points ?? null,
      points_not_reopened: h.quality?.components.notReopened.points ?? null,
      points_csat: h.quality?.components.csat.points ?? null,
    })),
    owner_segments: insight.segments.map((s) => ({
      ...key,
      seq: s.seq,
      ...ownerColumns('owner', s.owner),
      team_id: s.owner.teamId ?? null,
      started_at: iso(s.startedAt),
      ended_at: iso(s.endedAt),
      replied: s.replied,
    })),
    transfers: insight.transfers.map((x) => ({
      ...key,
      event_id: x.eventId,
      at: iso(x.at),
      ...ownerColumns('from', x.from),
      from_team: x.from.teamId ?? null,
      ...ownerColumns('to', x.to),
      to_team: x.to.teamId ?? null,
      handoff_id: x.handoffId,
      shift_handover_id: x.shiftHandoverId,
      sender_replied: x.senderReplied,
    })),
    ownership_lapses: insight.lapses.map((l, i) => ({
      ...key,
      seq: i + 1,
      started_at: iso(l.startedAt),
      ended_at: iso(l.endedAt),
      cause: l.cause,
    })),
    ownership_loops: insight.loops.map((l) => ({
      ...key,
      event_id: l.eventId,
      at: iso(l.at),
      pattern: l.pattern,
      owner_changes: l.ownerChanges,
      window_seconds: l.windowSeconds,
      owners: l.owners,
    })),
    closures: insight.closures.map((c, i) => ({
      ...key,
      seq: i + 1,
      closed_at: iso(c.closedAt),
      resolution: c.resolution,
      reopened_at: iso(c.reopenedAt),
    })),
    repeats: insight.repeats.map((r) => ({
      ...key,
      detection_id: r.detectionId,
      handoff_id: r.handoffId,
      message_id: r.messageId,
      at: iso(r.at),
      repeat_kind: r.repeatKind,
      fact_kinds: r.factKinds,
      evidence: r.evidence,
    })),
    csat_responses: insight.csat.map((c) => ({
      ...key,
      response_id: c.responseId,
      score: c.score,
      channel: c.channel,
      responded_at: iso(c.respondedAt),
      escalated: c.escalated,
      ...ownerColumns('owner', c.owner),
      owner_team: c.owner?.teamId ?? null,
    })),
    csat_attributions: insight.attributions.map((a) => ({
      ...key,
      response_id: a.responseId,
      segment_seq: a.segmentSeq,
      segment_label: a.segmentLabel,
      ...ownerColumns('owner', a.owner),
      team_id: a.owner.teamId ?? null,
      weight: a.weight,
      score: a.score,
      channel: a.channel,
      responded_at: iso(a.respondedAt),
    })),
  };
}

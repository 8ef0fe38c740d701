import type { DataSource } from 'typeorm';
import {
  ClosureEntity,
  CsatAttributionEntity,
  CsatResponseEntity,
  HandoffEntity,
  LapseEntity,
  LoopEntity,
  OwnerSegmentEntity,
  RepeatEntity,
  TicketEntity,
  TransferEntity,
} from '../projections/insights.entities';
import { TicketNotFound } from './insight-query.errors';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const n = (v: string | null): number | null => (v === null ? null : Number(v));

/**
 * The handoff story of one ticket: its owner chain, every handoff with its quality components, the
 * repeats (evidence), closures, CSAT and how it was attributed, loops and lapses. A ticket of another
 * tenant is not found, exactly like a missing one.
 */
export async function handoffStory(db: DataSource, tenantId: string, ticketId: string) {
  const where = { tenantId, ticketId };
  const ticket = await db.getRepository(TicketEntity).findOneBy(where);
  if (!ticket) throw new TicketNotFound(ticketId);
  const [segments, handoffs, transfers, repeats, closures, csat, attributions, loops, lapses] =
    await Promise.all([
      db.getRepository(OwnerSegmentEntity).find({ where, order: { seq: 'ASC' } }),
      db.getRepository(HandoffEntity).find({ where, order: { requestedAt: 'ASC', handoffId: 'ASC' } }),
      db.getRepository(TransferEntity).find({ where, order: { at: 'ASC', eventId: 'ASC' } }),
      db.getRepository(RepeatEntity).find({ where, order: { at: 'ASC', detectionId: 'ASC' } }),
      db.getRepository(ClosureEntity).find({ where, order: { seq: 'ASC' } }),
      db.getRepository(CsatResponseEntity).find({ where, order: { respondedAt: 'ASC', responseId: 'ASC' } }),
      db
        .getRepository(CsatAttributionEntity)
        .find({ where, order: { responseId: 'ASC', segmentSeq: 'ASC' } }),
      db.getRepository(LoopEntity).find({ where, order: { at: 'ASC', eventId: 'ASC' } }),
      db.getRepository(LapseEntity).find({ where, order: { seq: 'ASC' } }),
    ]);
  return {
    ticketId,
    openedAt: iso(ticket.openedAt),
    channel: ticket.channel,
    intent: ticket.intent,
    ownerChanges: ticket.ownerChanges,
    reopenCount: ticket.reopenCount,
    firstResolvedAt: iso(ticket.firstResolvedAt),
    resolutionMs: n(ticket.resolutionMs),
    closedAt: iso(ticket.closedAt),
    edges: ticket.edges,
    ownerChain: segments.map((s) => ({
      seq: s.seq,
      owner: { kind: s.ownerKind, id: s.ownerId, teamId: s.teamId },
      startedAt: iso(s.startedAt),
      endedAt: iso(s.endedAt),
      replied: s.replied,
    })),
    handoffs: handoffs.map((h) => ({
      handoffId: h.handoffId,
      handoffType: h.handoffType,
      edge: h.edge,
      sender: h.senderId === null ? null : { kind: h.senderKind, id: h.senderId },
      receiver: h.receiverId === null ? null : { id: h.receiverId, teamId: h.receiverTeam },
      channel: h.channel,
      requestedAt: iso(h.requestedAt),
      acceptedAt: iso(h.acceptedAt),
      declines: h.declines,
      expiries: h.expiries,
      withoutBrief: h.withoutBrief,
      cancelled: h.cancelled,
      timeToAcceptMs: n(h.timeToAcceptMs),
      firstReplyAt: iso(h.firstReplyAt),
      timeToFirstMeaningfulReplyMs: n(h.timeToFirstMeaningfulReplyMs),
      idleMs: n(h.idleMs),
      leftWithoutReply: h.noReply,
      repeats: h.repeats,
      bounced: h.bounced,
      reopened: h.reopened,
      csatAfter: h.csatAfter,
      resolvedAt: iso(h.resolvedAt),
      acceptToResolutionMs: n(h.acceptToResolutionMs),
      quality: h.score === null ? null : { score: h.score, components: h.components },
    })),
    transfers: transfers.map((t) => ({
      at: iso(t.at),
      from: { kind: t.fromKind, id: t.fromId, teamId: t.fromTeam },
      to: { kind: t.toKind, id: t.toId, teamId: t.toTeam },
      handoffId: t.handoffId,
      shiftHandoverId: t.shiftHandoverId,
      senderReplied: t.senderReplied,
    })),
    repeats: repeats.map((r) => ({
      detectionId: r.detectionId,
      handoffId: r.handoffId,
      messageId: r.messageId,
      detectedAt: iso(r.at),
      repeatKind: r.repeatKind,
      factKinds: r.factKinds,
      evidenceMessageIds: r.evidence,
    })),
    closures: closures.map((c) => ({
      closedAt: iso(c.closedAt),
      resolution: c.resolution,
      reopenedAt: iso(c.reopenedAt),
    })),
    csat: csat.map((c) => ({
      responseId: c.responseId,
      score: c.score,
      channel: c.channel,
      respondedAt: iso(c.respondedAt),
      escalated: c.escalated,
      owner: c.ownerId === null ? null : { kind: c.ownerKind, id: c.ownerId, teamId: c.ownerTeam },
      attribution: attributions
        .filter((a) => a.responseId === c.responseId)
        .map((a) => ({
          segment: a.segmentLabel,
          owner: { kind: a.ownerKind, id: a.ownerId, teamId: a.teamId },
          weight: a.weight,
        })),
    })),
    loops: loops.map((l) => ({
      detectedAt: iso(l.at),
      pattern: l.pattern,
      ownerChanges: l.ownerChanges,
      windowSeconds: l.windowSeconds,
      owners: l.owners,
    })),
    lapses: lapses.map((l) => ({
      startedAt: iso(l.startedAt),
      endedAt: iso(l.endedAt),
      durationMs: l.endedAt === null ? null : l.endedAt.getTime() - l.startedAt.getTime(),
      cause: l.cause,
    })),
  };
}

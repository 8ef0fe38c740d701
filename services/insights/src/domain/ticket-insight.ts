import { attributeCsat, type CsatAttribution, type OwnerSegment } from './csat-attribution';
import { handoffEdge } from './handoff-edge';
import { handoffQuality, isMeaningfulReply, type HandoffQuality } from './handoff-quality';
import { canonicalOrder, type FactOf, type HandoffKind, type Owner, type TicketFact } from './ticket-fact';

/** What insights derives from all the facts of one ticket; every figure is an aggregate of these. */
export interface TicketInsight {
  ticket: TicketSummary;
  segments: OwnerSegment[];
  handoffs: HandoffInsight[];
  transfers: TransferInsight[];
  lapses: LapseInsight[];
  loops: LoopInsight[];
  closures: ClosureInsight[];
  repeats: RepeatInsight[];
  csat: CsatInsight[];
  attributions: (CsatAttribution & { responseId: string; respondedAt: number; channel: string })[];
}

export interface TicketSummary {
  /** When the ticket opened (the earliest fact when the opening was not seen). */
  openedAt: number;
  channel: string | null;
  customerId: string | null;
  /** Intent label of the latest brief version. */
  intent: string | null;
  /** The first close as `resolved`; null while none. */
  firstResolvedAt: number | null;
  /** Open → first resolved close. */
  resolutionMs: number | null;
  /** The close in force (null while open). */
  closedAt: number | null;
  reopenCount: number;
  /** Changes of the named owner after the first (transfers, and assignments of a different owner). */
  ownerChanges: number;
  lastOwner: Owner | null;
  acceptedHandoffs: number;
  /** Edges of the accepted handoffs, in order. */
  edges: string[];
  loops: number;
  lapses: number;
}

export interface HandoffInsight {
  handoffId: string;
  handoffType: HandoffKind | null;
  edge: string;
  /** Who handed over: the previous owner's id (or escalation's party id). */
  senderId: string | null;
  senderKind: string | null;
  receiverId: string | null;
  receiverTeam: string | null;
  channel: string | null;
  intent: string | null;
  requestedAt: number | null;
  acceptedAt: number | null;
  declines: number;
  expiries: number;
  withoutBrief: boolean;
  cancelled: boolean;
  timeToAcceptMs: number | null;
  firstReplyAt: number | null;
  timeToFirstMeaningfulReplyMs: number | null;
  /** Acceptance → the receiver's first reply, or the end of their ownership without one. */
  idleMs: number | null;
  /** The receiver's ownership ended (closed or passed on) without a single reply of theirs. */
  noReply: boolean;
  repeats: number;
  bounced: boolean;
  reopened: boolean;
  csatAfter: number | null;
  resolvedAt: number | null;
  acceptToResolutionMs: number | null;
  quality: HandoffQuality | null;
}

export interface TransferInsight {
  eventId: string;
  at: number;
  from: Owner;
  to: Owner;
  handoffId: string | null;
  shiftHandoverId: string | null;
  /** Whether the sending owner wrote in the ticket while owning it (null for the bot). */
  senderReplied: boolean | null;
}

export interface LapseInsight {
  startedAt: number;
  endedAt: number | null;
  cause: string;
}

export interface LoopInsight {
  eventId: string;
  at: number;
  pattern: string;
  ownerChanges: number;
  windowSeconds: number;
  owners: Owner[];
}

export interface ClosureInsight {
  closedAt: number;
  resolution: string;
  /** The reopening that undid this close, if any. */
  reopenedAt: number | null;
}

export interface RepeatInsight {
  detectionId: string;
  handoffId: string;
  messageId: string;
  at: number;
  repeatKind: string;
  factKinds: string[];
  evidence: string[];
}

export interface CsatInsight {
  responseId: string;
  score: number;
  channel: string;
  respondedAt: number;
  /** A human/tier handoff came before the response (channel switches alone do not escalate). */
  escalated: boolean;
  owner: Owner | null;
}

const sameOwner = (a: Owner | null | undefined, b: Owner | null | undefined): boolean =>
  !!a && !!b && a.kind === b.kind && a.id === b.id;

type Facts = { [K in TicketFact['kind']]: FactOf<K>[] };

function byKind(facts: readonly TicketFact[]): Facts {
  const grouped = {} as Record<string, TicketFact[]>;
  for (const fact of facts) (grouped[fact.kind] ??= []).push(fact);
  return new Proxy(grouped, { get: (target, key: string) => target[key] ?? [] }) as unknown as Facts;
}

/**
 * Derives everything insights shows about one ticket from its facts. Pure and order-independent: the
 * facts are put in canonical order first, so any arrival order (across topics and partitions) and
 * any redelivery yields the same result, which is what makes a replay reproduce the same figures.
 */
export function deriveTicketInsight(unordered: readonly TicketFact[]): TicketInsight {
  const facts = canonicalOrder(unordered);
  const f = byKind(facts);

  const opened = f['ticket-opened'][0];
  const openedAt = opened?.at ?? facts[0]?.at ?? 0;
  const messages = f.message;
  const latestBrief = [...f.brief].sort((a, b) => a.version - b.version || a.at - b.at).at(-1);
  const intent = latestBrief?.intent ?? null;

  const channelAt = (at: number): string | null => {
    let channel = opened?.channel ?? messages[0]?.channel ?? null;
    for (const s of f['channel-switched']) if (s.at <= at) channel = s.toChannel;
    return channel;
  };

  // Owner chain.
  const segments: OwnerSegment[] = [];
  const transfers: TransferInsight[] = [];
  let current: OwnerSegment | null = null;
  let lastNamed: Owner | null = null;
  let ownerChanges = 0;
  const end = (at: number) => {
    if (current) current.endedAt = at;
    current = null;
  };
  const start = (owner: Owner, at: number) => {
    current = { seq: segments.length + 1, owner, startedAt: at, endedAt: null, replied: false };
    segments.push(current);
    lastNamed = owner;
  };
  // Only ownership facts and closes move the owner chain.
  for (const fact of facts) {
    if (fact.kind === 'owner-assigned') {
      const previous: Owner | null = current ? (current as OwnerSegment).owner : lastNamed;
      if (current && sameOwner(previous, fact.owner)) continue;
      if (previous && !sameOwner(previous, fact.owner)) ownerChanges += 1;
      end(fact.at);
      start(fact.owner, fact.at);
    } else if (fact.kind === 'ownership-transferred') {
      ownerChanges += 1;
      transfers.push({
        eventId: fact.eventId,
        at: fact.at,
        from: fact.from,
        to: fact.to,
        handoffId: fact.handoffId ?? null,
        shiftHandoverId: fact.shiftHandoverId ?? null,
        senderReplied: null,
      });
      end(fact.at);
      start(fact.to, fact.at);
    } else if (fact.kind === 'ownership-released' || fact.kind === 'ticket-closed') {
      end(fact.at);
    }
  }
  for (const segment of segments) {
    segment.replied = messages.some(
      (m) =>
        m.senderKind === segment.owner.kind &&
        m.senderId === segment.owner.id &&
        m.at >= segment.startedAt &&
        (segment.endedAt === null || m.at <= segment.endedAt),
    );
  }
  for (const transfer of transfers) {
    if (transfer.from.kind === 'bot') continue;
    const sending = segments.find((s) => s.endedAt === transfer.at && sameOwner(s.owner, transfer.from));
    transfer.senderReplied = sending?.replied ?? false;
  }

  // Closures and lapses.
  const closures: ClosureInsight[] = [];
  for (const fact of facts) {
    if (fact.kind === 'ticket-closed')
      closures.push({ closedAt: fact.at, resolution: fact.resolution, reopenedAt: null });
    if (fact.kind === 'ticket-reopened') {
      const last = closures.at(-1);
      if (last && last.reopenedAt === null) last.reopenedAt = fact.at;
    }
  }
  const lapseStarts = new Map<number, string>();
  for (const l of f['ownership-lapsed'])
    if (!lapseStarts.has(l.lapsedSince)) lapseStarts.set(l.lapsedSince, l.cause);
  const lapses: LapseInsight[] = [...lapseStarts].map(([startedAt, cause]) => {
    const ender = facts.find(
      (x) =>
        x.at >= startedAt &&
        (x.kind === 'owner-assigned' || x.kind === 'ownership-transferred' || x.kind === 'ticket-closed'),
    );
    return { startedAt, endedAt: ender?.at ?? null, cause };
  });
  const loops: LoopInsight[] = f['loop-detected'].map((l) => ({
    eventId: l.eventId,
    at: l.at,
    pattern: l.pattern,
    ownerChanges: l.ownerChanges,
    windowSeconds: l.windowSeconds,
    owners: l.owners,
  }));
  const repeats: RepeatInsight[] = f.repeat.map((r) => ({
    detectionId: r.detectionId,
    handoffId: r.handoffId,
    messageId: r.messageId,
    at: r.at,
    repeatKind: r.repeatKind,
    factKinds: r.factKinds,
    evidence: r.evidence,
  }));

  // Handoffs.
  const handoffIds = new Set<string>();
  for (const fact of facts)
    if ('handoffId' in fact && fact.handoffId && fact.kind !== 'brief') handoffIds.add(fact.handoffId);
  const firstResolvedAfter = (at: number) =>
    closures.find((c) => c.closedAt >= at && c.resolution === 'resolved')?.closedAt ?? null;
  const csatFacts = f.csat;
  const handoffs: HandoffInsight[] = [...handoffIds].map((handoffId) => {
    const requested = f['handoff-requested'].find((x) => x.handoffId === handoffId);
    const offers = f['handoff-offered'].filter((x) => x.handoffId === handoffId);
    const accepted = f['handoff-accepted'].find((x) => x.handoffId === handoffId);
    const transfer = transfers.find((t) => t.handoffId === handoffId);
    const handoffType = accepted?.handoffType ?? requested?.handoffType ?? null;
    const requestedAt = requested?.at ?? offers[0]?.at ?? accepted?.at ?? transfer?.at ?? null;
    const acceptedAt = accepted?.at ?? transfer?.at ?? null;
    const receiverId = accepted?.agentId ?? (transfer?.to.kind === 'agent' ? transfer.to.id : null);
    const receiverTeam = transfer?.to.teamId ?? accepted?.teamId ?? offers.at(-1)?.teamId ?? null;
    const sender = accepted?.from ?? requested?.from;
    const ownerAtRequest =
      requestedAt === null ? undefined : segments.filter((s) => s.startedAt <= requestedAt).at(-1)?.owner;
    const switchBefore =
      requestedAt === null ? undefined : f['channel-switched'].filter((s) => s.at <= requestedAt).at(-1);
    const edge = handoffEdge({
      ...(handoffType ? { handoffType } : {}),
      ...(transfer ? { transfer: { from: transfer.from, to: transfer.to } } : {}),
      ...(sender ? { sender } : {}),
      ...(sender?.kind === 'agent' && ownerAtRequest?.id === sender.id && ownerAtRequest.teamId
        ? { senderTeam: ownerAtRequest.teamId }
        : {}),
      ...(receiverTeam ? { receiverTeam } : {}),
      ...(requested ? { target: requested.to } : {}),
      ...(switchBefore ? { channels: { from: switchBefore.fromChannel, to: switchBefore.toChannel } } : {}),
      ...(requested?.channel ? { requestedChannel: requested.channel } : {}),
    });

    // The receiver's ownership: from the transfer (or acceptance) to the next change or close.
    const receiverSegment = transfer
      ? segments.find((s) => s.startedAt === transfer.at && sameOwner(s.owner, transfer.to))
      : undefined;
    const receiverReplies =
      acceptedAt === null || receiverId === null
        ? []
        : messages.filter((m) => m.senderKind === 'agent' && m.senderId === receiverId && m.at >= acceptedAt);
    const firstReply = receiverReplies[0];
    const firstMeaningful = receiverReplies.find((m) => isMeaningfulReply(m.words));
    const receiverEnd = receiverSegment?.endedAt ?? null;
    const repliedInTime = firstReply && (receiverEnd === null || firstReply.at <= receiverEnd);
    const idleMs =
      acceptedAt === null
        ? null
        : repliedInTime
          ? firstReply.at - acceptedAt
          : receiverEnd !== null
            ? receiverEnd - acceptedAt
            : null;
    const noReply = acceptedAt !== null && !repliedInTime && receiverEnd !== null;

    const nextOwner = receiverSegment ? segments[receiverSegment.seq]?.owner : undefined;
    const bounced =
      f['handed-back-to-bot'].some((h) => h.handoffId === handoffId) ||
      (!!transfer && !!nextOwner && sameOwner(nextOwner, transfer.from));
    const reopened =
      acceptedAt !== null && closures.some((c) => c.closedAt >= acceptedAt && c.reopenedAt !== null);
    const csat =
      csatFacts.find((c) => c.precedingHandoffIds.includes(handoffId)) ??
      (acceptedAt === null ? undefined : csatFacts.find((c) => c.at >= acceptedAt));
    const resolvedAt = acceptedAt === null ? null : firstResolvedAfter(acceptedAt);
    const handoffRepeats = repeats.filter((r) => r.handoffId === handoffId).length;
    const timeToAcceptMs = accepted && requestedAt !== null ? accepted.at - requestedAt : null;
    const timeToFirstMeaningfulReplyMs =
      firstMeaningful && acceptedAt !== null ? firstMeaningful.at - acceptedAt : null;
    const csatAfter = csat?.score ?? null;
    return {
      handoffId,
      handoffType,
      edge,
      senderId: transfer?.from.id ?? sender?.id ?? null,
      senderKind: transfer?.from.kind ?? sender?.kind ?? null,
      receiverId,
      receiverTeam,
      channel: requestedAt === null ? null : channelAt(requestedAt),
      intent,
      requestedAt,
      acceptedAt,
      declines: f['handoff-declined'].filter((x) => x.handoffId === handoffId).length,
      expiries: f['offer-expired'].filter((x) => x.handoffId === handoffId).length,
      withoutBrief: accepted ? !accepted.withBrief : offers.some((o) => o.withoutBrief),
      cancelled: f['handoff-cancelled'].some((x) => x.handoffId === handoffId),
      timeToAcceptMs,
      firstReplyAt: firstReply?.at ?? null,
      timeToFirstMeaningfulReplyMs,
      idleMs,
      noReply,
      repeats: handoffRepeats,
      bounced,
      reopened,
      csatAfter,
      resolvedAt,
      acceptToResolutionMs: resolvedAt === null || acceptedAt === null ? null : resolvedAt - acceptedAt,
      quality:
        timeToAcceptMs === null
          ? null
          : handoffQuality({
              timeToAcceptMs,
              timeToFirstMeaningfulReplyMs,
              repeatDetected: handoffRepeats > 0,
              bounced,
              reopened,
              csatAfter,
            }),
    };
  });
  handoffs.sort(
    (a, b) => (a.requestedAt ?? 0) - (b.requestedAt ?? 0) || a.handoffId.localeCompare(b.handoffId),
  );

  // CSAT.
  const escalatingIds = new Set(
    handoffs.filter((h) => h.handoffType !== 'channel_switch').map((h) => h.handoffId),
  );
  const knownIds = new Set(handoffs.map((h) => h.handoffId));
  const csat: CsatInsight[] = csatFacts.map((c) => ({
    responseId: c.responseId,
    score: c.score,
    channel: c.channel,
    respondedAt: c.at,
    // An id we have not seen (its events are elsewhere or not yet here) counts: the response says a
    // handoff preceded it, and only channel switches are known not to escalate.
    escalated:
      c.precedingHandoffIds.some((id) => escalatingIds.has(id) || !knownIds.has(id)) ||
      handoffs.some(
        (h) => h.handoffType !== 'channel_switch' && h.acceptedAt !== null && h.acceptedAt <= c.at,
      ),
    owner: c.owner ?? null,
  }));
  const attributions = csatFacts.flatMap((c) =>
    attributeCsat(c.score, c.at, segments, c.owner).map((a) => ({
      ...a,
      responseId: c.responseId,
      respondedAt: c.at,
      channel: c.channel,
    })),
  );

  const accepted = handoffs.filter((h) => h.acceptedAt !== null);
  const firstResolvedAt = closures.find((c) => c.resolution === 'resolved')?.closedAt ?? null;
  const lastClosure = closures.at(-1);
  const lastSegment = segments.at(-1);
  return {
    ticket: {
      openedAt,
      channel: opened?.channel ?? messages[0]?.channel ?? null,
      customerId: opened?.customerId ?? null,
      intent,
      firstResolvedAt,
      resolutionMs: firstResolvedAt === null ? null : firstResolvedAt - openedAt,
      closedAt: lastClosure && lastClosure.reopenedAt === null ? lastClosure.closedAt : null,
      reopenCount: f['ticket-reopened'].length,
      ownerChanges,
      lastOwner: lastSegment?.owner ?? null,
      acceptedHandoffs: accepted.length,
      edges: accepted.map((h) => h.edge),
      loops: loops.length,
      lapses: lapses.length,
    },
    segments,
    handoffs,
    transfers,
    lapses,
    loops,
    closures,
    repeats,
    csat,
    attributions,
  };
}

// The facts insights keeps of a ticket: a whitelisted, normalised form of the public events of every
// topic (see messaging/public-event-to-fact.mapper.ts). Times are epoch milliseconds. Only what a
// figure needs is kept (a message's word count, never its text).

/** A named accountable owner: an agent or the bot identity. */
export interface Owner {
  kind: 'agent' | 'bot';
  id: string;
  teamId?: string;
}

/** Who handed over, as escalation names it. */
export interface Party {
  kind: 'bot' | 'agent' | 'team' | 'system';
  id: string;
}

/** Who should receive, as escalation names it. */
export interface Target {
  kind: 'agent' | 'team' | 'tier';
  id: string;
}

export type HandoffKind = 'ai_to_human' | 'tier_escalation' | 'agent_to_agent' | 'channel_switch';

interface Base {
  /** The public event id (CloudEvents `id`): the tie-breaker of equal times. */
  eventId: string;
  /** When the fact occurred (CloudEvents `time`, or the event's own time where it carries one). */
  at: number;
}

export type TicketFact = Base &
  (
    | { kind: 'ticket-opened'; channel: string; customerId: string }
    | { kind: 'channel-switched'; fromChannel: string; toChannel: string }
    | {
        kind: 'message';
        messageId: string;
        sequence: number;
        channel: string;
        senderKind: 'customer' | 'bot' | 'agent' | 'system';
        senderId: string;
        words: number;
      }
    | { kind: 'ticket-closed'; resolution: string }
    | { kind: 'ticket-reopened' }
    | {
        kind: 'csat';
        responseId: string;
        score: number;
        channel: string;
        owner?: Owner;
        precedingHandoffIds: string[];
      }
    | { kind: 'brief'; briefId: string; version: number; intent: string; handoffId?: string }
    | {
        kind: 'repeat';
        detectionId: string;
        handoffId: string;
        messageId: string;
        repeatKind: string;
        factKinds: string[];
        evidence: string[];
      }
    | {
        kind: 'handoff-requested';
        handoffId: string;
        handoffType: HandoffKind;
        from: Party;
        to: Target;
        channel?: string;
      }
    | { kind: 'handoff-offered'; handoffId: string; agentId: string; teamId?: string; withoutBrief: boolean }
    | {
        kind: 'handoff-accepted';
        handoffId: string;
        handoffType: HandoffKind;
        from: Party;
        agentId: string;
        teamId?: string;
        withBrief: boolean;
      }
    | { kind: 'handoff-declined'; handoffId: string; agentId: string }
    | { kind: 'offer-expired'; handoffId: string; agentId: string }
    | { kind: 'handoff-cancelled'; handoffId: string }
    | { kind: 'handed-back-to-bot'; handoffId: string; botId: string }
    | { kind: 'owner-assigned'; owner: Owner }
    | {
        kind: 'ownership-transferred';
        from: Owner;
        to: Owner;
        handoffId?: string;
        shiftHandoverId?: string;
      }
    | { kind: 'ownership-released'; previousOwner: Owner }
    | { kind: 'ownership-lapsed'; lapsedSince: number; cause: string }
    | {
        kind: 'loop-detected';
        pattern: string;
        ownerChanges: number;
        windowSeconds: number;
        owners: Owner[];
      }
  );

export type TicketFactKind = TicketFact['kind'];

/** A fact of a given kind. */
export type FactOf<K extends TicketFactKind> = Extract<TicketFact, { kind: K }>;

/**
 * Order of facts of equal time: the ticket opens before anything happens on it, a handoff is requested
 * before it is offered and accepted, ownership moves after the acceptance that caused it, and the
 * ticket closes last. With the event id as the final tie-breaker the order is total, so a derivation
 * never depends on the order the facts arrived in.
 */
const RANK: Record<TicketFactKind, number> = {
  'ticket-opened': 0,
  'channel-switched': 1,
  message: 2,
  brief: 3,
  'handoff-requested': 4,
  'handoff-offered': 5,
  'handoff-declined': 6,
  'offer-expired': 7,
  'handoff-cancelled': 8,
  'handoff-accepted': 9,
  'handed-back-to-bot': 10,
  'owner-assigned': 11,
  'ownership-transferred': 12,
  'ownership-released': 13,
  'ownership-lapsed': 14,
  'loop-detected': 15,
  repeat: 16,
  csat: 17,
  'ticket-closed': 18,
  'ticket-reopened': 19,
};

/** Compares two facts by time, then kind, then event id. */
export const compareFacts = (a: TicketFact, b: TicketFact): number =>
  a.at - b.at || RANK[a.kind] - RANK[b.kind] || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** The facts in canonical order, each event id once (a redelivered event counts once). */
export function canonicalOrder(facts: readonly TicketFact[]): TicketFact[] {
  const byId = new Map<string, TicketFact>();
  for (const fact of facts) if (!byId.has(fact.eventId)) byId.set(fact.eventId, fact);
  return [...byId.values()].sort(compareFacts);
}

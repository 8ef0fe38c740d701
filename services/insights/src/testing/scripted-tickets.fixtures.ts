// Scripted tickets with known figures, as valid public CloudEvents on the real topics. Shared by the
// integration tests and the benchmarks (not production code).
import { randomUUID } from 'node:crypto';
import {
  eventsTopic,
  sourceOf,
  type Context,
  type PublicEventDataOf,
  type PublicEventEnvelope,
  type PublicEventType,
} from '@handoff/contracts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** One event and the topic it goes to. */
export interface ScriptedEvent {
  topic: string;
  event: PublicEventEnvelope;
}

type Owner = { kind: 'agent' | 'bot'; id: string; teamId?: string };
const bot: Owner = { kind: 'bot', id: 'bot' };
const maya: Owner = { kind: 'agent', id: 'maya', teamId: 'tier1' };
const omar: Owner = { kind: 'agent', id: 'omar', teamId: 'tier2' };
const system = { kind: 'system' as const, id: 'insights-test' };
const contextOf = (type: string) => type.split('.')[2] as Context;

/** Builds the events of one tenant's script. */
class Script {
  readonly events: ScriptedEvent[] = [];
  constructor(
    readonly tenantId: string,
    readonly t0: number,
  ) {}

  emit<T extends PublicEventType>(type: T, atMs: number, data: Omit<PublicEventDataOf<T>, 'tenantId'>): void {
    const full = { tenantId: this.tenantId, ...data } as unknown as PublicEventDataOf<T>;
    const subject =
      (full as { ticketId?: string; agentId?: string }).ticketId ??
      (full as { agentId?: string }).agentId ??
      '';
    this.events.push({
      topic: eventsTopic(contextOf(type)),
      event: {
        id: randomUUID(),
        source: sourceOf(contextOf(type)),
        type,
        subject,
        time: new Date(this.t0 + atMs).toISOString(),
        tenantId: this.tenantId,
        data: full,
      } as PublicEventEnvelope,
    });
  }

  at(ms: number): string {
    return new Date(this.t0 + ms).toISOString();
  }

  opened(ticketId: string, at: number, channel: 'web_chat' | 'email' = 'web_chat') {
    this.emit('dev.handoff.conversations.TicketOpened.v1', at, {
      ticketId,
      customerId: `cus-${ticketId}`,
      channel,
      openedBy: { kind: 'customer', id: `cus-${ticketId}` },
    });
  }

  message(ticketId: string, at: number, sequence: number, sender: 'customer' | Owner, text: string) {
    const s =
      sender === 'customer'
        ? { kind: 'customer' as const, id: `cus-${ticketId}` }
        : { kind: sender.kind, id: sender.id };
    this.emit('dev.handoff.conversations.MessageReceived.v1', at, {
      ticketId,
      messageId: `${ticketId}-m${sequence}`,
      sequence,
      customerId: `cus-${ticketId}`,
      channel: 'web_chat',
      channelMessageId: `${ticketId}-c${sequence}`,
      sender: s,
      text,
      attachments: [],
      sentAt: this.at(at),
    });
  }

  assigned(ticketId: string, at: number, owner: Owner) {
    this.emit('dev.handoff.ownership.OwnerAssigned.v1', at, {
      ticketId,
      owner,
      how: 'routed',
      assignedBy: system,
    });
  }

  brief(ticketId: string, at: number, intent: string, handoffId?: string) {
    this.emit('dev.handoff.summarization.BriefPrepared.v1', at, {
      ticketId,
      briefId: `brief-${ticketId}`,
      version: 1,
      coversPosition: '1',
      messagesSinceCovered: 0,
      trigger: handoffId ? 'handoff_requested' : 'on_demand',
      ...(handoffId ? { handoffId } : {}),
      language: 'en',
      intent: { label: intent, confidence: 0.9, statement: `The customer wants a ${intent}.`, evidence: [] },
      keyFacts: [],
      actionsTaken: [],
      objective: { statement: 'Resolve it.', blocker: false, evidence: [] },
      openQuestions: [],
      sentiment: { current: 'neutral', trend: 'stable' },
      effort: { repeatContacts: 0, channelSwitches: 0, waitingSeconds: 0 },
      summary: `A ${intent} request.`,
      engine: { name: 'test', version: '1' },
      redacted: false,
    });
  }

  /** Requested, offered, accepted and the ownership transfer it causes. */
  handoff(
    ticketId: string,
    handoffId: string,
    type: 'ai_to_human' | 'tier_escalation' | 'agent_to_agent',
    from: Owner,
    to: Owner,
    requestedAt: number,
    acceptedAt: number,
  ) {
    const party = { kind: from.kind, id: from.id };
    this.emit('dev.handoff.escalation.HandoffRequested.v1', requestedAt, {
      ticketId,
      handoffId,
      handoffType: type,
      from: party,
      to: { kind: 'tier', id: to.teamId ?? 'any' },
      reasonCode: 'needs_human',
      priority: 'normal',
      requestedBy: { kind: from.kind, id: from.id },
    });
    this.emit('dev.handoff.escalation.HandoffOffered.v1', requestedAt + 1, {
      ticketId,
      handoffId,
      offerId: `${handoffId}-o1`,
      agent: { agentId: to.id },
      ...(to.teamId ? { teamId: to.teamId } : {}),
      brief: { briefId: `brief-${ticketId}`, version: 1 },
      withoutBrief: false,
      expiresAt: this.at(requestedAt + 10 * MIN),
      attempt: 1,
      routing: { reasons: ['skills'], candidatesConsidered: 2, previousAgentPreferred: false },
    });
    this.emit('dev.handoff.escalation.HandoffAccepted.v1', acceptedAt, {
      ticketId,
      handoffId,
      offerId: `${handoffId}-o1`,
      handoffType: type,
      from: party,
      agent: { agentId: to.id },
      ...(to.teamId ? { teamId: to.teamId } : {}),
      brief: { briefId: `brief-${ticketId}`, version: 1 },
      reasonCode: 'needs_human',
    });
    this.transfer(ticketId, acceptedAt, from, to, handoffId);
  }

  transfer(ticketId: string, at: number, from: Owner, to: Owner, handoffId?: string) {
    this.emit('dev.handoff.ownership.OwnershipTransferred.v1', at, {
      ticketId,
      from,
      to,
      transferredBy: system,
      reason: 'handoff accepted',
      ...(handoffId ? { handoffId } : {}),
    });
  }

  closed(ticketId: string, at: number) {
    this.emit('dev.handoff.conversations.TicketClosed.v1', at, {
      ticketId,
      closedBy: { kind: 'agent', id: 'maya' },
      resolution: 'resolved',
    });
  }

  csat(ticketId: string, at: number, score: number, owner: Owner, handoffIds: string[]) {
    this.emit('dev.handoff.conversations.CsatRecorded.v1', at, {
      ticketId,
      responseId: `csat-${ticketId}`,
      customerId: `cus-${ticketId}`,
      score,
      channel: 'web_chat',
      respondedAt: this.at(at),
      owner,
      precedingHandoffIds: handoffIds,
    });
  }
}

/**
 * Four tickets of one tenant (times after `t0`):
 * - A: bot → Tier 1 (maya, h1: a repeat follows) → Tier 2 (omar, h2); resolved at 60 min; CSAT 2;
 *   reopened after 2 days and closed again. Intent `refund`.
 * - B: bot → Tier 1 (maya, h3), resolved at 30 min, CSAT 5. Intent `refund`.
 * - C: the bot resolves it alone at 20 min, CSAT 4. Intent `refund` (the same-intent baseline).
 * - D: maya → omar (h4), omar hands it straight back 20 min later without a word (a loop, 15 minutes
 *   before omar's shift ends), maya releases it (a 15-minute lapse) and omar is assigned.
 * The expected figures are asserted in insights.int.spec.ts.
 */
export function scriptedTickets(tenantId: string, t0: number): ScriptedEvent[] {
  const s = new Script(tenantId, t0);
  const A = 'ticket-a';
  s.opened(A, 0);
  s.assigned(A, 0, bot);
  s.message(A, 1 * MIN, 1, 'customer', 'My order A-1042 never arrived, I want a refund please');
  s.brief(A, 2 * MIN, 'refund', 'h1');
  s.handoff(A, 'h1', 'ai_to_human', bot, maya, 2 * MIN, 4 * MIN);
  s.message(A, 5 * MIN, 2, maya, 'Hi');
  s.message(A, 8 * MIN, 3, maya, 'I am looking at order A-1042 for you right now');
  s.message(A, 9 * MIN, 4, 'customer', 'As I said my order is A-1042');
  s.emit('dev.handoff.summarization.RepeatedInformationDetected.v1', 9 * MIN, {
    ticketId: A,
    detectionId: 'det-a1',
    handoffId: 'h1',
    messageId: `${A}-m4`,
    repeatKind: 'restated_value',
    repeatedFacts: [{ kind: 'order_number', value: 'A-1042', firstSeenIn: [`${A}-m1`] }],
    brief: { briefId: `brief-${A}`, version: 1 },
    evidence: [`${A}-m1`, `${A}-m4`],
  });
  s.handoff(A, 'h2', 'tier_escalation', maya, omar, 20 * MIN, 25 * MIN);
  s.message(A, 40 * MIN, 5, omar, 'Refund issued to your card today');
  s.closed(A, 60 * MIN);
  s.csat(A, 70 * MIN, 2, omar, ['h1', 'h2']);
  s.emit('dev.handoff.conversations.TicketReopened.v1', 2 * DAY, {
    ticketId: A,
    reopenedBy: { kind: 'customer', id: `cus-${A}` },
  });
  s.closed(A, 2 * DAY + 10 * MIN);

  const B = 'ticket-b';
  const b0 = 60 * MIN;
  s.opened(B, b0);
  s.assigned(B, b0, bot);
  s.brief(B, b0 + 2 * MIN, 'refund', 'h3');
  s.handoff(B, 'h3', 'ai_to_human', bot, maya, b0 + 2 * MIN, b0 + 4 * MIN);
  s.message(B, b0 + 6 * MIN, 1, maya, 'Your refund has been approved just now');
  s.closed(B, b0 + 30 * MIN);
  s.csat(B, b0 + 40 * MIN, 5, maya, ['h3']);

  const C = 'ticket-c';
  const c0 = 120 * MIN;
  s.opened(C, c0);
  s.assigned(C, c0, bot);
  s.brief(C, c0 + MIN, 'refund');
  s.message(C, c0 + 2 * MIN, 1, bot, 'I have refunded your order automatically');
  s.closed(C, c0 + 20 * MIN);
  s.csat(C, c0 + 25 * MIN, 4, bot, []);

  const D = 'ticket-d';
  const d0 = 180 * MIN;
  s.opened(D, d0, 'email');
  s.assigned(D, d0, maya);
  s.handoff(D, 'h4', 'agent_to_agent', maya, omar, d0 + 5 * MIN, d0 + 10 * MIN);
  s.transfer(D, d0 + 30 * MIN, omar, maya);
  s.emit('dev.handoff.ownership.OwnershipLoopDetected.v1', d0 + 30 * MIN, {
    ticketId: D,
    pattern: 'returned_to_previous_owner',
    ownerChanges: 2,
    windowSeconds: 3600,
    owners: [maya, omar, maya],
  });
  s.emit('dev.handoff.escalation.AgentPresenceChanged.v1', d0 + 45 * MIN, {
    agentId: 'omar',
    presence: 'offline',
    previousPresence: 'online',
    changedBy: { kind: 'agent', id: 'omar' },
  });
  s.emit('dev.handoff.ownership.OwnershipReleased.v1', d0 + 40 * MIN, {
    ticketId: D,
    previousOwner: maya,
    releasedBy: { kind: 'agent', id: 'maya' },
    reason: 'Going home',
  });
  s.emit('dev.handoff.ownership.OwnershipLapsed.v1', d0 + 41 * MIN, {
    ticketId: D,
    previousOwner: maya,
    lapsedSince: s.at(d0 + 40 * MIN),
    cause: 'released',
  });
  s.assigned(D, d0 + 55 * MIN, omar);
  return s.events;
}

import type { OwnerRef, PublicEventEnvelope } from '@handoff/contracts';
import type { Owner, TicketFact } from '../domain/ticket-fact';

/** What insights keeps of one public event. */
export type InsightFact =
  | { target: 'ticket'; tenantId: string; ticketId: string; fact: TicketFact }
  | {
      target: 'presence';
      tenantId: string;
      agentId: string;
      eventId: string;
      presence: string;
      at: number;
    };

const owner = (o: OwnerRef): Owner => ({
  kind: o.kind,
  id: o.id,
  ...(o.teamId === undefined ? {} : { teamId: o.teamId }),
});

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/**
 * Maps a validated public event to the fact insights keeps (a whitelist: only the fields a figure
 * uses), or null for the events no figure needs (customer identities, ownership's own record of a
 * close, which conversations already publishes, …). Exhaustive over the public types, so a new
 * public type does not compile until it is decided here.
 */
export function toInsightFact(event: PublicEventEnvelope): InsightFact | null {
  const base = { eventId: event.id, at: Date.parse(event.time) };
  const ticket = (tenantId: string, ticketId: string, fact: TicketFact): InsightFact => ({
    target: 'ticket',
    tenantId,
    ticketId,
    fact,
  });
  switch (event.type) {
    case 'dev.handoff.conversations.TicketOpened.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'ticket-opened',
        channel: d.channel,
        customerId: d.customerId,
      });
    }
    case 'dev.handoff.conversations.ChannelSwitched.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'channel-switched',
        fromChannel: d.fromChannel,
        toChannel: d.toChannel,
      });
    }
    case 'dev.handoff.conversations.MessageReceived.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'message',
        messageId: d.messageId,
        sequence: d.sequence,
        channel: d.channel,
        senderKind: d.sender.kind,
        senderId: d.sender.id,
        words: words(d.text),
      });
    }
    case 'dev.handoff.conversations.TicketClosed.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, { ...base, kind: 'ticket-closed', resolution: d.resolution });
    }
    case 'dev.handoff.conversations.TicketReopened.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, { ...base, kind: 'ticket-reopened' });
    }
    case 'dev.handoff.conversations.CsatRecorded.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        eventId: event.id,
        // The response's own time: a survey answered late belongs where the customer answered it.
        at: Date.parse(d.respondedAt),
        kind: 'csat',
        responseId: d.responseId,
        score: d.score,
        channel: d.channel,
        ...(d.owner ? { owner: owner(d.owner) } : {}),
        precedingHandoffIds: d.precedingHandoffIds,
      });
    }
    case 'dev.handoff.summarization.BriefPrepared.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'brief',
        briefId: d.briefId,
        version: d.version,
        intent: d.intent.label,
        ...(d.handoffId === undefined ? {} : { handoffId: d.handoffId }),
      });
    }
    case 'dev.handoff.summarization.RepeatedInformationDetected.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'repeat',
        detectionId: d.detectionId,
        handoffId: d.handoffId,
        messageId: d.messageId,
        repeatKind: d.repeatKind,
        factKinds: d.repeatedFacts.map((f) => f.kind),
        evidence: d.evidence,
      });
    }
    case 'dev.handoff.escalation.HandoffRequested.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'handoff-requested',
        handoffId: d.handoffId,
        handoffType: d.handoffType,
        from: d.from,
        to: d.to,
        ...(d.channel === undefined ? {} : { channel: d.channel }),
      });
    }
    case 'dev.handoff.escalation.HandoffOffered.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'handoff-offered',
        handoffId: d.handoffId,
        agentId: d.agent.agentId,
        ...(d.teamId === undefined ? {} : { teamId: d.teamId }),
        withoutBrief: d.withoutBrief,
      });
    }
    case 'dev.handoff.escalation.HandoffAccepted.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'handoff-accepted',
        handoffId: d.handoffId,
        handoffType: d.handoffType,
        from: d.from,
        agentId: d.agent.agentId,
        ...(d.teamId === undefined ? {} : { teamId: d.teamId }),
        withBrief: d.brief !== undefined,
      });
    }
    case 'dev.handoff.escalation.HandoffDeclined.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'handoff-declined',
        handoffId: d.handoffId,
        agentId: d.agent.agentId,
      });
    }
    case 'dev.handoff.escalation.OfferExpired.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'offer-expired',
        handoffId: d.handoffId,
        agentId: d.agent.agentId,
      });
    }
    case 'dev.handoff.escalation.HandoffCancelled.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, { ...base, kind: 'handoff-cancelled', handoffId: d.handoffId });
    }
    case 'dev.handoff.escalation.HandedBackToBot.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'handed-back-to-bot',
        handoffId: d.handoffId,
        botId: d.botId,
      });
    }
    case 'dev.handoff.escalation.AgentPresenceChanged.v1': {
      const d = event.data;
      return {
        target: 'presence',
        tenantId: d.tenantId,
        agentId: d.agentId,
        eventId: event.id,
        presence: d.presence,
        at: base.at,
      };
    }
    case 'dev.handoff.ownership.OwnerAssigned.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, { ...base, kind: 'owner-assigned', owner: owner(d.owner) });
    }
    case 'dev.handoff.ownership.OwnershipTransferred.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'ownership-transferred',
        from: owner(d.from),
        to: owner(d.to),
        ...(d.handoffId === undefined ? {} : { handoffId: d.handoffId }),
        ...(d.shiftHandoverId === undefined ? {} : { shiftHandoverId: d.shiftHandoverId }),
      });
    }
    case 'dev.handoff.ownership.OwnershipReleased.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'ownership-released',
        previousOwner: owner(d.previousOwner),
      });
    }
    case 'dev.handoff.ownership.OwnershipLapsed.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'ownership-lapsed',
        lapsedSince: Date.parse(d.lapsedSince),
        cause: d.cause,
      });
    }
    case 'dev.handoff.ownership.OwnershipLoopDetected.v1': {
      const d = event.data;
      return ticket(d.tenantId, d.ticketId, {
        ...base,
        kind: 'loop-detected',
        pattern: d.pattern,
        ownerChanges: d.ownerChanges,
        windowSeconds: d.windowSeconds,
        owners: d.owners.map(owner),
      });
    }
    case 'dev.handoff.conversations.CustomerIdentified.v1':
    case 'dev.handoff.conversations.IdentityLinked.v1':
    case 'dev.handoff.conversations.CustomersMerged.v1':
    case 'dev.handoff.conversations.CustomerMergeUndone.v1':
    case 'dev.handoff.conversations.TicketFlaggedForReview.v1':
    case 'dev.handoff.conversations.TicketMerged.v1':
    case 'dev.handoff.escalation.BriefAttached.v1':
    case 'dev.handoff.escalation.NoEligibleAgent.v1':
    case 'dev.handoff.escalation.HandoffEscalatedToSupervisor.v1':
    case 'dev.handoff.ownership.ShiftHandoverRequested.v1':
    case 'dev.handoff.ownership.ShiftHandoverAcknowledged.v1':
    case 'dev.handoff.ownership.ShiftHandoverEscalated.v1':
    case 'dev.handoff.ownership.TicketClosed.v1':
    case 'dev.handoff.ownership.TicketReopened.v1':
    case 'dev.handoff.inbound.ChannelMessage.v1':
      return null;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

import { publicEventExamples, sourceOf, type PublicEventEnvelope } from '@handoff/contracts';
import { toInsightFact } from './public-event-to-fact.mapper';

const envelope = (type: string, data: unknown): PublicEventEnvelope =>
  ({
    id: `evt-${type}`,
    source: sourceOf(type.split('.')[2] ?? 'x'),
    type,
    subject: 'subject',
    time: '2025-03-04T14:02:00.000Z',
    tenantId: 'acme',
    data,
  }) as PublicEventEnvelope;

describe('public event → insights fact', () => {
  const facts = Object.entries(publicEventExamples).map(
    ([type, data]) => [type, toInsightFact(envelope(type, data))] as const,
  );

  it('keeps a fact of every type a figure needs and nothing of the others', () => {
    const kept = Object.fromEntries(
      facts.map(([type, fact]) => [
        type.replace(/^dev\.handoff\./, ''),
        fact === null ? null : fact.target === 'ticket' ? fact.fact.kind : 'presence',
      ]),
    );
    expect(kept).toEqual({
      'conversations.MessageReceived.v1': 'message',
      'conversations.CustomerIdentified.v1': null,
      'conversations.IdentityLinked.v1': null,
      'conversations.CustomersMerged.v1': null,
      'conversations.CustomerMergeUndone.v1': null,
      'conversations.TicketOpened.v1': 'ticket-opened',
      'conversations.ChannelSwitched.v1': 'channel-switched',
      'conversations.TicketFlaggedForReview.v1': null,
      'conversations.TicketMerged.v1': null,
      'conversations.TicketReopened.v1': 'ticket-reopened',
      'conversations.TicketClosed.v1': 'ticket-closed',
      'conversations.CsatRecorded.v1': 'csat',
      'summarization.BriefPrepared.v1': 'brief',
      'summarization.RepeatedInformationDetected.v1': 'repeat',
      'escalation.HandoffRequested.v1': 'handoff-requested',
      'escalation.BriefAttached.v1': null,
      'escalation.HandoffOffered.v1': 'handoff-offered',
      'escalation.HandoffAccepted.v1': 'handoff-accepted',
      'escalation.HandoffDeclined.v1': 'handoff-declined',
      'escalation.OfferExpired.v1': 'offer-expired',
      'escalation.NoEligibleAgent.v1': null,
      'escalation.HandoffEscalatedToSupervisor.v1': null,
      'escalation.HandoffCancelled.v1': 'handoff-cancelled',
      'escalation.HandedBackToBot.v1': 'handed-back-to-bot',
      'escalation.AgentPresenceChanged.v1': 'presence',
      'ownership.OwnerAssigned.v1': 'owner-assigned',
      'ownership.OwnershipTransferred.v1': 'ownership-transferred',
      'ownership.OwnershipReleased.v1': 'ownership-released',
      'ownership.OwnershipLapsed.v1': 'ownership-lapsed',
      'ownership.ShiftHandoverRequested.v1': null,
      'ownership.ShiftHandoverAcknowledged.v1': null,
      'ownership.ShiftHandoverEscalated.v1': null,
      'ownership.TicketClosed.v1': null,
      'ownership.TicketReopened.v1': null,
      'ownership.OwnershipLoopDetected.v1': 'loop-detected',
      'inbound.ChannelMessage.v1': null,
    });
  });

  it('keeps the word count of a message, never its text, and the response time of a CSAT', () => {
    const message = facts.find(([type]) => type.endsWith('MessageReceived.v1'))?.[1];
    expect(message).toMatchObject({
      target: 'ticket',
      fact: { kind: 'message', words: 14, senderKind: 'customer' },
    });
    expect(JSON.stringify(message)).not.toContain('arrived');
    const csat = facts.find(([type]) => type.endsWith('CsatRecorded.v1'))?.[1];
    const data = publicEventExamples['dev.handoff.conversations.CsatRecorded.v1'];
    expect(csat).toMatchObject({
      fact: { kind: 'csat', at: Date.parse(data.respondedAt), score: data.score },
    });
  });
});

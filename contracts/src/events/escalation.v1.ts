import { Type, type Static } from '@sinclair/typebox';
import {
  ActorRef,
  AgentId,
  AgentRef,
  AttachmentMeta,
  BriefRef,
  ChannelKind,
  Id,
  IsoDateTime,
  KeyId,
  StringEnum,
  Strict,
  TenantId,
  Text,
  defineEventV1,
  ticketFact,
} from './shared.v1';

export const HandoffType = StringEnum(['ai_to_human', 'tier_escalation', 'agent_to_agent', 'channel_switch']);
export type HandoffType = Static<typeof HandoffType>;

/** Who hands over: a bot, a named agent, a team, or the system (e.g. a channel switch). */
export const HandoffParty = Strict({ kind: StringEnum(['bot', 'agent', 'team', 'system']), id: Id() });
export type HandoffParty = Static<typeof HandoffParty>;

/** Who should receive: a named agent, or a team/tier whose routing names one. */
export const HandoffTarget = Strict({ kind: StringEnum(['agent', 'team', 'tier']), id: Id() });
export type HandoffTarget = Static<typeof HandoffTarget>;

export const HandoffPriority = StringEnum(['low', 'normal', 'high', 'urgent']);
export type HandoffPriority = Static<typeof HandoffPriority>;

const HandoffId = KeyId('The handoff (stream handoff-<id>).');
const OfferId = Id();

/** A handoff was requested: the handoff object with its context package. */
export const HandoffRequestedV1 = ticketFact({
  handoffId: HandoffId,
  handoffType: HandoffType,
  from: HandoffParty,
  to: HandoffTarget,
  reasonCode: Text(100),
  note: Type.Optional(Text(5000)),
  priority: HandoffPriority,
  requestedBy: ActorRef,
  conversationPosition: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,20}$',
      description:
        "Conversation position at request time (the `sequence` of the ticket's last message): the brief must cover at least this.",
    }),
  ),
  channel: Type.Optional(ChannelKind),
  diagnostics: Type.Optional(
    Strict({
      logs: Type.Array(Text(20_000), { maxItems: 50 }),
      stepsTried: Type.Array(Text(2000), { maxItems: 100 }),
      environment: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 })),
      attachments: Type.Array(AttachmentMeta, { maxItems: 50 }),
    }),
  ),
});
export type HandoffRequestedV1 = Static<typeof HandoffRequestedV1>;

/** A brief at least as new as the request is attached to the handoff. */
export const BriefAttachedV1 = ticketFact({
  handoffId: HandoffId,
  brief: BriefRef,
  coversPosition: Type.String({ pattern: '^[0-9]{1,20}$' }),
});
export type BriefAttachedV1 = Static<typeof BriefAttachedV1>;

/** The routing decision and its reasons. */
export const RoutingDecision = Strict({
  reasons: Type.Array(Text(500), { maxItems: 50 }),
  candidatesConsidered: Type.Integer({ minimum: 0 }),
  previousAgentPreferred: Type.Boolean(),
});
export type RoutingDecision = Static<typeof RoutingDecision>;

/** The handoff was offered to a named agent, with the brief (or the raw context, flagged). */
export const HandoffOfferedV1 = ticketFact({
  handoffId: HandoffId,
  offerId: OfferId,
  agent: AgentRef,
  teamId: Type.Optional(KeyId()),
  brief: Type.Optional(BriefRef),
  withoutBrief: Type.Boolean({ description: 'True when the brief did not arrive in time.' }),
  expiresAt: IsoDateTime('Acceptance deadline.'),
  attempt: Type.Integer({ minimum: 1 }),
  routing: RoutingDecision,
});
export type HandoffOfferedV1 = Static<typeof HandoffOfferedV1>;

/** The named agent accepted: ownership records the transfer from this fact. */
export const HandoffAcceptedV1 = ticketFact({
  handoffId: HandoffId,
  offerId: OfferId,
  handoffType: HandoffType,
  from: HandoffParty,
  agent: AgentRef,
  teamId: Type.Optional(KeyId()),
  brief: Type.Optional(BriefRef),
  reasonCode: Text(100),
});
export type HandoffAcceptedV1 = Static<typeof HandoffAcceptedV1>;

/** The agent declined the offer (a reason is required). */
export const HandoffDeclinedV1 = ticketFact({
  handoffId: HandoffId,
  offerId: OfferId,
  agent: AgentRef,
  reasonCode: Text(100),
  note: Type.Optional(Text(2000)),
});
export type HandoffDeclinedV1 = Static<typeof HandoffDeclinedV1>;

/** The acceptance deadline passed without an answer. */
export const OfferExpiredV1 = ticketFact({
  handoffId: HandoffId,
  offerId: OfferId,
  agent: AgentRef,
  deadline: IsoDateTime(),
  expiries: Type.Integer({ minimum: 1, description: 'Expiries of this handoff so far.' }),
});
export type OfferExpiredV1 = Static<typeof OfferExpiredV1>;

/** Routing found no qualified online agent: the handoff stays requested and an alert goes out. */
export const NoEligibleAgentV1 = ticketFact({
  handoffId: HandoffId,
  to: HandoffTarget,
  reasons: Type.Array(Text(500), { maxItems: 50 }),
});
export type NoEligibleAgentV1 = Static<typeof NoEligibleAgentV1>;

/** After repeated expiries (or none eligible), a supervisor takes the handoff. */
export const HandoffEscalatedToSupervisorV1 = ticketFact({
  handoffId: HandoffId,
  supervisor: Type.Optional(AgentRef),
  reason: StringEnum(['offers_expired', 'no_eligible_agent', 'manual']),
  expiries: Type.Integer({ minimum: 0 }),
});
export type HandoffEscalatedToSupervisorV1 = Static<typeof HandoffEscalatedToSupervisorV1>;

/** The handoff was cancelled before acceptance. */
export const HandoffCancelledV1 = ticketFact({
  handoffId: HandoffId,
  cancelledBy: ActorRef,
  reason: Text(1000),
});
export type HandoffCancelledV1 = Static<typeof HandoffCancelledV1>;

/** The conversation went back to the bot. */
export const HandedBackToBotV1 = ticketFact({
  handoffId: HandoffId,
  botId: Id(),
  handedBackBy: ActorRef,
  reason: Type.Optional(Text(1000)),
});
export type HandedBackToBotV1 = Static<typeof HandedBackToBotV1>;

/** An agent's presence changed (keyed by agent id: it is not a ticket fact). */
export const AgentPresenceChangedV1 = Strict({
  tenantId: TenantId,
  agentId: AgentId,
  presence: StringEnum(['online', 'away', 'offline']),
  previousPresence: Type.Optional(StringEnum(['online', 'away', 'offline'])),
  changedBy: ActorRef,
});
export type AgentPresenceChangedV1 = Static<typeof AgentPresenceChangedV1>;

/** Public event types of the escalation context (topic `handoff.escalation.events.v1`). */
export const escalationEventsV1 = [
  defineEventV1('escalation', 'HandoffRequested', HandoffRequestedV1, 'A handoff was requested.'),
  defineEventV1('escalation', 'BriefAttached', BriefAttachedV1, 'A brief was attached to a handoff.'),
  defineEventV1('escalation', 'HandoffOffered', HandoffOfferedV1, 'A handoff was offered to a named agent.'),
  defineEventV1('escalation', 'HandoffAccepted', HandoffAcceptedV1, 'A handoff was accepted.'),
  defineEventV1('escalation', 'HandoffDeclined', HandoffDeclinedV1, 'A handoff offer was declined.'),
  defineEventV1('escalation', 'OfferExpired', OfferExpiredV1, 'A handoff offer expired.'),
  defineEventV1('escalation', 'NoEligibleAgent', NoEligibleAgentV1, 'No agent could be offered the handoff.'),
  defineEventV1(
    'escalation',
    'HandoffEscalatedToSupervisor',
    HandoffEscalatedToSupervisorV1,
    'A handoff was escalated to a supervisor.',
  ),
  defineEventV1('escalation', 'HandoffCancelled', HandoffCancelledV1, 'A handoff was cancelled.'),
  defineEventV1('escalation', 'HandedBackToBot', HandedBackToBotV1, 'A ticket was handed back to the bot.'),
  defineEventV1(
    'escalation',
    'AgentPresenceChanged',
    AgentPresenceChangedV1,
    "An agent's presence changed.",
    'agentId',
  ),
] as const;

// Internal events of the handoff stream (`handoff-<id>`). They stay inside the service; the relay
// maps them to the public v1 contract (messaging/escalation-public-events.mapper.ts).

export type HandoffType = 'ai_to_human' | 'tier_escalation' | 'agent_to_agent' | 'channel_switch';
export type HandoffPriority = 'low' | 'normal' | 'high' | 'urgent';
export type ActorKind = 'customer' | 'bot' | 'agent' | 'supervisor' | 'system' | 'integration';
export type Channel =
  'web_chat' | 'email' | 'whatsapp' | 'instagram' | 'facebook_messenger' | 'sms' | 'voice' | 'bot' | 'api';

export interface ActorRef {
  kind: ActorKind;
  id: string;
}
export interface HandoffParty {
  kind: 'bot' | 'agent' | 'team' | 'system';
  id: string;
}
export interface HandoffTarget {
  kind: 'agent' | 'team' | 'tier';
  id: string;
}
export interface AgentRef {
  agentId: string;
  displayName?: string;
}
export interface BriefRef {
  briefId: string;
  version: number;
}
export interface SkillRequirement {
  skill: string;
  minLevel: number;
}
export interface Attachment {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  url?: string;
}
/** The tier-escalation context package: kept verbatim from request to public event. */
export interface Diagnostics {
  logs: string[];
  stepsTried: string[];
  environment: Record<string, string>;
  attachments: Attachment[];
}
export interface RoutingRecord {
  reasons: string[];
  candidatesConsidered: number;
  previousAgentPreferred: boolean;
}

export interface HandoffRequested {
  type: 'HandoffRequested';
  data: {
    handoffId: string;
    tenantId: string;
    ticketId: string;
    handoffType: HandoffType;
    from: HandoffParty;
    to: HandoffTarget;
    reasonCode: string;
    note?: string;
    priority: HandoffPriority;
    requestedBy: ActorRef;
    /** Decimal string: the ticket message `sequence` the brief must cover. */
    conversationPosition: string;
    channel?: Channel;
    diagnostics?: Diagnostics;
    requiredSkills: SkillRequirement[];
    language?: string;
    requestedAt: string;
    /** After this instant the offer may go out without a brief (flagged). */
    briefDeadline: string;
  };
}

export interface BriefAttached {
  type: 'BriefAttached';
  data: { handoffId: string; brief: BriefRef; coversPosition: string; language?: string; attachedAt: string };
}

export interface HandoffOffered {
  type: 'HandoffOffered';
  data: {
    handoffId: string;
    offerId: string;
    agent: AgentRef;
    teamId?: string;
    brief?: BriefRef;
    withoutBrief: boolean;
    offeredAt: string;
    expiresAt: string;
    attempt: number;
    routing: RoutingRecord;
  };
}

export interface NoEligibleAgentFound {
  type: 'NoEligibleAgentFound';
  data: { handoffId: string; to: HandoffTarget; reasons: string[]; candidatesConsidered: number; at: string };
}

export interface HandoffAccepted {
  type: 'HandoffAccepted';
  data: {
    handoffId: string;
    offerId: string;
    agent: AgentRef;
    teamId?: string;
    acceptedAt: string;
    /** Carried so that the public fact is complete on its own (ownership records the transfer from it). */
    handoffType: HandoffType;
    from: HandoffParty;
    reasonCode: string;
    brief?: BriefRef;
  };
}

export interface HandoffDeclined {
  type: 'HandoffDeclined';
  data: {
    handoffId: string;
    offerId: string;
    agent: AgentRef;
    reasonCode: string;
    note?: string;
    at: string;
  };
}

export interface OfferExpired {
  type: 'OfferExpired';
  data: {
    handoffId: string;
    offerId: string;
    agent: AgentRef;
    deadline: string;
    expiries: number;
    at: string;
  };
}

export interface HandoffEscalatedToSupervisor {
  type: 'HandoffEscalatedToSupervisor';
  data: {
    handoffId: string;
    reason: 'offers_expired' | 'no_eligible_agent' | 'manual';
    expiries: number;
    at: string;
  };
}

export interface HandoffCancelled {
  type: 'HandoffCancelled';
  data: { handoffId: string; cancelledBy: ActorRef; reason: string; at: string };
}

export interface HandedBackToBot {
  type: 'HandedBackToBot';
  data: { handoffId: string; botId: string; handedBackBy: ActorRef; reason?: string; at: string };
}

/** A channel switch whose owner stays: recorded with its context, no acceptance needed. */
export interface ChannelSwitchRecorded {
  type: 'ChannelSwitchRecorded';
  data: {
    handoffId: string;
    fromChannel: Channel;
    toChannel: Channel;
    messageId: string;
    owner: { kind: 'agent' | 'bot'; id: string };
    at: string;
  };
}

export type HandoffEvent =
  | HandoffRequested
  | BriefAttached
  | HandoffOffered
  | NoEligibleAgentFound
  | HandoffAccepted
  | HandoffDeclined
  | OfferExpired
  | HandoffEscalatedToSupervisor
  | HandoffCancelled
  | HandedBackToBot
  | ChannelSwitchRecorded;

export const HANDOFF_CATEGORY = 'handoff';
export const handoffStream = (handoffId: string): string => `${HANDOFF_CATEGORY}-${handoffId}`;

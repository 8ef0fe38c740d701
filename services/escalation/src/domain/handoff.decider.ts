import type { RoutingOutcome } from './routing';
import {
  DeclineReasonRequired,
  HandBackNotAllowed,
  HandoffAlreadyExists,
  HandoffNotCancellable,
  HandoffNotFound,
  OfferNotOpen,
  OfferNotYours,
  TicketClosed,
  TicketNotFound,
} from './handoff.errors';
import type {
  ActorRef,
  AgentRef,
  BriefRef,
  Channel,
  HandoffEvent,
  HandoffRequested,
  HandoffTarget,
} from './handoff.events';

/** What escalation knows of a ticket (from the conversations topic), passed in by the handler. */
export interface TicketFacts {
  status: 'open' | 'closed';
  /** Highest message `sequence` seen for the ticket; 0 when none. */
  lastSequence: number;
}

export type RequestFields = Omit<
  HandoffRequested['data'],
  'requestedAt' | 'briefDeadline' | 'conversationPosition'
> & { conversationPosition?: string };

export type HandoffCommand =
  | {
      type: 'RequestHandoff';
      request: RequestFields;
      ticket: TicketFacts | undefined;
      now: Date;
      briefTimeoutMs: number;
      /**
       * The fast path: a brief already known for the ticket and the routing computed for it, so that
       * request, brief and offer are decided (and appended) at once. Each still obeys its own rule.
       */
      briefAtRequest?: { brief: BriefRef; coversPosition: string; language?: string };
      routingAtRequest?: { offerId: string; routing: RoutingOutcome; acceptanceTimeoutMs: number };
    }
  | {
      type: 'RecordChannelSwitch';
      request: RequestFields;
      fromChannel: Channel;
      toChannel: Channel;
      messageId: string;
      /** The current owner when it stays accountable on the new channel; otherwise routing takes over. */
      stayingOwner: { kind: 'agent' | 'bot'; id: string } | undefined;
      ticket: TicketFacts | undefined;
      now: Date;
      briefTimeoutMs: number;
    }
  | {
      type: 'AttachBrief';
      handoffId: string;
      tenantId: string;
      brief: BriefRef;
      coversPosition: string;
      language?: string;
      now: Date;
    }
  | {
      type: 'RouteHandoff';
      handoffId: string;
      tenantId: string;
      offerId: string;
      routing: RoutingOutcome;
      acceptanceTimeoutMs: number;
      now: Date;
    }
  | { type: 'AcceptOffer'; handoffId: string; tenantId: string; agentId: string; now: Date }
  | {
      type: 'DeclineOffer';
      handoffId: string;
      tenantId: string;
      agentId: string;
      reasonCode: string | undefined;
      note?: string;
      now: Date;
    }
  | {
      type: 'ExpireOffer';
      handoffId: string;
      tenantId: string;
      offerId: string;
      maxExpiries: number;
      now: Date;
    }
  | {
      type: 'CancelHandoff';
      handoffId: string;
      tenantId: string;
      cancelledBy: ActorRef;
      reason: string;
      now: Date;
    }
  | {
      type: 'HandBackToBot';
      handoffId: string;
      tenantId: string;
      botId: string;
      handedBackBy: ActorRef;
      reason?: string;
      now: Date;
    };

interface OpenOffer {
  offerId: string;
  agent: AgentRef;
  teamId?: string;
  expiresAt: Date;
}

interface HandoffFacts {
  request: HandoffRequested['data'];
  conversationPosition: bigint;
  briefDeadline: Date;
  brief?: { ref: BriefRef; coversPosition: string; language?: string };
  attempts: number;
  expiries: number;
  escalated: boolean;
  /** Agents whose offer of this handoff was declined or expired: routing skips them. */
  pastOfferAgents: string[];
  /** A NoEligibleAgent alert went out and no offer was made since (retries stay quiet). */
  noEligibleReported: boolean;
}

export type HandoffState =
  | { status: 'none' }
  | ({ status: 'requested' } & HandoffFacts)
  | ({ status: 'offered'; offer: OpenOffer } & HandoffFacts)
  | ({ status: 'accepted'; agent: AgentRef; offerId: string } & HandoffFacts)
  | ({ status: 'cancelled' | 'handed_back' | 'recorded' } & HandoffFacts);

export type HandoffStatus = HandoffState['status'];

export const initialHandoffState = (): HandoffState => ({ status: 'none' });

const position = (value: string): bigint => BigInt(value);

export function decideHandoff(command: HandoffCommand, state: HandoffState): HandoffEvent[] {
  switch (command.type) {
    case 'RequestHandoff':
      return request(command, state);
    case 'RecordChannelSwitch':
      return recordChannelSwitch(command, state);
    case 'AttachBrief':
      return attachBrief(command, existing(state, command.tenantId, command.handoffId));
    case 'RouteHandoff':
      return route(command, existing(state, command.tenantId, command.handoffId));
    case 'AcceptOffer':
      return accept(command, existing(state, command.tenantId, command.handoffId));
    case 'DeclineOffer':
      return decline(command, existing(state, command.tenantId, command.handoffId));
    case 'ExpireOffer':
      return expire(command, existing(state, command.tenantId, command.handoffId));
    case 'CancelHandoff':
      return cancel(command, existing(state, command.tenantId, command.handoffId));
    case 'HandBackToBot':
      return handBack(command, existing(state, command.tenantId, command.handoffId));
    default:
      return assertNever(command);
  }
}

type Existing = Exclude<HandoffState, { status: 'none' }>;

/** The handoff of the caller's tenant; another tenant's handoff is reported exactly like a missing one. */
function existing(state: HandoffState, tenantId: string, handoffId: string): Existing {
  if (state.status === 'none' || state.request.tenantId !== tenantId) throw new HandoffNotFound(handoffId);
  return state;
}

function requestedEvent(
  request: RequestFields,
  ticket: TicketFacts | undefined,
  now: Date,
  briefTimeoutMs: number,
): HandoffRequested {
  if (ticket === undefined) throw new TicketNotFound(request.ticketId);
  if (ticket.status === 'closed') throw new TicketClosed(request.ticketId);
  const data: HandoffRequested['data'] = {
    ...request,
    // Without an explicit position the brief must cover everything escalation has seen so far.
    conversationPosition: request.conversationPosition ?? String(ticket.lastSequence),
    requestedAt: now.toISOString(),
    briefDeadline: new Date(now.getTime() + briefTimeoutMs).toISOString(),
  };
  return { type: 'HandoffRequested', data };
}

/** A retried request (same id, same ticket and type) changes nothing; a different one is a conflict. */
function sameRequest(state: Existing, request: RequestFields): boolean {
  const known = state.request;
  return (
    known.tenantId === request.tenantId &&
    known.ticketId === request.ticketId &&
    known.handoffType === request.handoffType &&
    known.to.kind === request.to.kind &&
    known.to.id === request.to.id
  );
}

function request(
  command: Extract<HandoffCommand, { type: 'RequestHandoff' }>,
  state: HandoffState,
): HandoffEvent[] {
  if (state.status !== 'none') {
    if (sameRequest(state, command.request)) return [];
    throw new HandoffAlreadyExists(command.request.handoffId);
  }
  const events: HandoffEvent[] = [
    requestedEvent(command.request, command.ticket, command.now, command.briefTimeoutMs),
  ];
  const { handoffId, tenantId } = command.request;
  let next = events.reduce(evolveHandoff, state) as Existing;
  if (command.briefAtRequest !== undefined) {
    const attached = attachBrief(
      { type: 'AttachBrief', handoffId, tenantId, ...command.briefAtRequest, now: command.now },
      next,
    );
    events.push(...attached);
    next = attached.reduce(evolveHandoff, next) as Existing;
  }
  if (command.routingAtRequest !== undefined) {
    events.push(
      ...route(
        { type: 'RouteHandoff', handoffId, tenantId, ...command.routingAtRequest, now: command.now },
        next,
      ),
    );
  }
  return events;
}

function recordChannelSwitch(
  command: Extract<HandoffCommand, { type: 'RecordChannelSwitch' }>,
  state: HandoffState,
): HandoffEvent[] {
  if (state.status !== 'none') {
    if (sameRequest(state, command.request)) return [];
    throw new HandoffAlreadyExists(command.request.handoffId);
  }
  const requested = requestedEvent(command.request, command.ticket, command.now, command.briefTimeoutMs);
  if (command.stayingOwner === undefined) return [requested];
  return [
    requested,
    {
      type: 'ChannelSwitchRecorded',
      data: {
        handoffId: command.request.handoffId,
        fromChannel: command.fromChannel,
        toChannel: command.toChannel,
        messageId: command.messageId,
        owner: command.stayingOwner,
        at: command.now.toISOString(),
      },
    },
  ];
}

function attachBrief(
  command: Extract<HandoffCommand, { type: 'AttachBrief' }>,
  state: Existing,
): HandoffEvent[] {
  // Only a brief covering the conversation up to the request counts, and only before the offer.
  if (state.status !== 'requested' || state.brief !== undefined) return [];
  if (position(command.coversPosition) < state.conversationPosition) return [];
  return [
    {
      type: 'BriefAttached',
      data: {
        handoffId: state.request.handoffId,
        brief: command.brief,
        coversPosition: command.coversPosition,
        ...(command.language === undefined ? {} : { language: command.language }),
        attachedAt: command.now.toISOString(),
      },
    },
  ];
}

/** True when an offer may go out: a brief as new as the request is attached, or its wait is over. */
export function offerAllowed(state: Existing, now: Date): boolean {
  return state.brief !== undefined || now.getTime() >= state.briefDeadline.getTime();
}

function route(command: Extract<HandoffCommand, { type: 'RouteHandoff' }>, state: Existing): HandoffEvent[] {
  if (state.status !== 'requested') return [];
  // The invariant of issue 7: never offered before the brief, unless its timeout passed.
  if (!offerAllowed(state, command.now)) return [];
  const outcome = command.routing;
  const handoffId = state.request.handoffId;
  if (outcome.kind === 'none') {
    if (state.noEligibleReported) return [];
    return [
      {
        type: 'NoEligibleAgentFound',
        data: {
          handoffId,
          to: state.request.to,
          reasons: outcome.reasons,
          candidatesConsidered: outcome.candidatesConsidered,
          at: command.now.toISOString(),
        },
      },
    ];
  }
  return [
    {
      type: 'HandoffOffered',
      data: {
        handoffId,
        offerId: command.offerId,
        agent: outcome.agent,
        ...(outcome.teamId === undefined ? {} : { teamId: outcome.teamId }),
        ...(state.brief === undefined ? {} : { brief: state.brief.ref }),
        withoutBrief: state.brief === undefined,
        offeredAt: command.now.toISOString(),
        expiresAt: new Date(command.now.getTime() + command.acceptanceTimeoutMs).toISOString(),
        attempt: state.attempts + 1,
        routing: {
          reasons: outcome.reasons,
          candidatesConsidered: outcome.candidatesConsidered,
          previousAgentPreferred: outcome.previousAgentPreferred,
        },
      },
    },
  ];
}

function openOfferOf(state: Existing, agentId: string, now: Date): OpenOffer {
  const handoffId = state.request.handoffId;
  if (state.status === 'offered') {
    if (state.offer.agent.agentId !== agentId) throw new OfferNotYours(handoffId, agentId);
    // Past its deadline the offer is over even if the expiry has not been processed yet.
    if (now.getTime() >= state.offer.expiresAt.getTime())
      throw new OfferNotOpen(handoffId, 'expired', agentId);
    return state.offer;
  }
  if (
    state.pastOfferAgents.includes(agentId) ||
    (state.status === 'accepted' && state.agent.agentId === agentId)
  ) {
    throw new OfferNotOpen(handoffId, state.status);
  }
  throw new OfferNotYours(handoffId, agentId);
}

function accept(command: Extract<HandoffCommand, { type: 'AcceptOffer' }>, state: Existing): HandoffEvent[] {
  if (state.status === 'accepted' && state.agent.agentId === command.agentId) return [];
  const offer = openOfferOf(state, command.agentId, command.now);
  return [
    {
      type: 'HandoffAccepted',
      data: {
        handoffId: state.request.handoffId,
        offerId: offer.offerId,
        agent: offer.agent,
        ...(offer.teamId === undefined ? {} : { teamId: offer.teamId }),
        acceptedAt: command.now.toISOString(),
        handoffType: state.request.handoffType,
        from: state.request.from,
        reasonCode: state.request.reasonCode,
        ...(state.brief === undefined ? {} : { brief: state.brief.ref }),
      },
    },
  ];
}

function decline(
  command: Extract<HandoffCommand, { type: 'DeclineOffer' }>,
  state: Existing,
): HandoffEvent[] {
  const reasonCode = command.reasonCode?.trim();
  if (reasonCode === undefined || reasonCode === '') throw new DeclineReasonRequired();
  const offer = openOfferOf(state, command.agentId, command.now);
  return [
    {
      type: 'HandoffDeclined',
      data: {
        handoffId: state.request.handoffId,
        offerId: offer.offerId,
        agent: offer.agent,
        reasonCode,
        ...(command.note === undefined ? {} : { note: command.note }),
        at: command.now.toISOString(),
      },
    },
  ];
}

function expire(command: Extract<HandoffCommand, { type: 'ExpireOffer' }>, state: Existing): HandoffEvent[] {
  // A deadline firing again, late, or for an offer already answered changes nothing: exactly once.
  if (state.status !== 'offered' || state.offer.offerId !== command.offerId) return [];
  if (command.now.getTime() < state.offer.expiresAt.getTime()) return [];
  const expiries = state.expiries + 1;
  const handoffId = state.request.handoffId;
  const events: HandoffEvent[] = [
    {
      type: 'OfferExpired',
      data: {
        handoffId,
        offerId: state.offer.offerId,
        agent: state.offer.agent,
        deadline: state.offer.expiresAt.toISOString(),
        expiries,
        at: command.now.toISOString(),
      },
    },
  ];
  if (!state.escalated && expiries >= command.maxExpiries) {
    events.push({
      type: 'HandoffEscalatedToSupervisor',
      data: { handoffId, reason: 'offers_expired', expiries, at: command.now.toISOString() },
    });
  }
  return events;
}

function cancel(
  command: Extract<HandoffCommand, { type: 'CancelHandoff' }>,
  state: Existing,
): HandoffEvent[] {
  if (state.status === 'cancelled') return [];
  if (state.status !== 'requested' && state.status !== 'offered') {
    throw new HandoffNotCancellable(state.request.handoffId, state.status);
  }
  return [
    {
      type: 'HandoffCancelled',
      data: {
        handoffId: state.request.handoffId,
        cancelledBy: command.cancelledBy,
        reason: command.reason,
        at: command.now.toISOString(),
      },
    },
  ];
}

function handBack(
  command: Extract<HandoffCommand, { type: 'HandBackToBot' }>,
  state: Existing,
): HandoffEvent[] {
  if (state.status === 'handed_back') return [];
  if (state.status !== 'accepted' && state.status !== 'requested' && state.status !== 'offered') {
    throw new HandBackNotAllowed(state.request.handoffId, state.status);
  }
  return [
    {
      type: 'HandedBackToBot',
      data: {
        handoffId: state.request.handoffId,
        botId: command.botId,
        handedBackBy: command.handedBackBy,
        ...(command.reason === undefined ? {} : { reason: command.reason }),
        at: command.now.toISOString(),
      },
    },
  ];
}

export function evolveHandoff(state: HandoffState, event: HandoffEvent): HandoffState {
  if (event.type === 'HandoffRequested') {
    return {
      status: 'requested',
      request: event.data,
      conversationPosition: position(event.data.conversationPosition),
      briefDeadline: new Date(event.data.briefDeadline),
      attempts: 0,
      expiries: 0,
      escalated: false,
      pastOfferAgents: [],
      noEligibleReported: false,
    };
  }
  if (state.status === 'none') return state;
  const facts = factsOf(state);
  switch (event.type) {
    case 'BriefAttached':
      return {
        ...state,
        brief: {
          ref: event.data.brief,
          coversPosition: event.data.coversPosition,
          ...(event.data.language === undefined ? {} : { language: event.data.language }),
        },
      };
    case 'HandoffOffered':
      return {
        ...facts,
        status: 'offered',
        attempts: event.data.attempt,
        noEligibleReported: false,
        offer: {
          offerId: event.data.offerId,
          agent: event.data.agent,
          ...(event.data.teamId === undefined ? {} : { teamId: event.data.teamId }),
          expiresAt: new Date(event.data.expiresAt),
        },
      };
    case 'NoEligibleAgentFound':
      return { ...state, noEligibleReported: true };
    case 'HandoffAccepted':
      return { ...facts, status: 'accepted', agent: event.data.agent, offerId: event.data.offerId };
    case 'HandoffDeclined':
    case 'OfferExpired':
      return {
        ...facts,
        status: 'requested',
        expiries: event.type === 'OfferExpired' ? event.data.expiries : facts.expiries,
        pastOfferAgents: [...facts.pastOfferAgents, event.data.agent.agentId],
      };
    case 'HandoffEscalatedToSupervisor':
      return { ...state, escalated: true, noEligibleReported: false };
    case 'HandoffCancelled':
      return { ...facts, status: 'cancelled' };
    case 'HandedBackToBot':
      return { ...facts, status: 'handed_back' };
    case 'ChannelSwitchRecorded':
      return { ...facts, status: 'recorded' };
    default:
      return assertNever(event);
  }
}

function factsOf(state: Existing): HandoffFacts {
  return {
    request: state.request,
    conversationPosition: state.conversationPosition,
    briefDeadline: state.briefDeadline,
    ...(state.brief === undefined ? {} : { brief: state.brief }),
    attempts: state.attempts,
    expiries: state.expiries,
    escalated: state.escalated,
    pastOfferAgents: state.pastOfferAgents,
    noEligibleReported: state.noEligibleReported,
  };
}

export const handoffDecider = {
  decide: decideHandoff,
  evolve: evolveHandoff,
  initialState: initialHandoffState,
};

/** The routing request a handoff in this state makes (target, exclusions, supervisors after escalation). */
export function routingNeedsOf(state: Existing): {
  target: HandoffTarget;
  exclude: string[];
  supervisorsOnly: boolean;
  language?: string;
} {
  const from = state.request.from;
  const exclude = [...state.pastOfferAgents, ...(from.kind === 'agent' ? [from.id] : [])];
  const language =
    state.request.language ?? (state.brief?.language !== 'und' ? state.brief?.language : undefined);
  return {
    target: state.request.to,
    exclude,
    supervisorsOnly: state.escalated,
    ...(language === undefined ? {} : { language }),
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

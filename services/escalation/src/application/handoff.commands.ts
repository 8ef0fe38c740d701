// Command handlers of handoffs and the process manager steps (attach the brief, route and offer,
// expire): load → decide → append through handleCommand; lookups come from the read model. A state
// already in memory (a new handoff, or a stream just read) is handed to it as `known`, so it is not
// read again unless it moved meanwhile.
import {
  handleCommand,
  StreamNotFound,
  type EventMetadata,
  type EventStore,
  type KnownState,
  type RecordedEvent,
} from '@handoff/event-store';
import {
  handoffDecider,
  offerAllowed,
  routingNeedsOf,
  type HandoffCommand,
  type HandoffState,
  type RequestFields,
} from '../domain/handoff.decider';
import { HandoffNotFound } from '../domain/handoff.errors';
import { handoffStream, type HandoffEvent } from '../domain/handoff.events';
import { routeHandoff, type RoutingOutcome } from '../domain/routing';
import type {
  EscalationQueries,
  OfferView,
  RoutingContext,
  TicketView,
} from '../projections/escalation.queries';
import type { Clock, CommandContext, IdGenerator } from './ports';

export interface HandoffSettings {
  briefTimeoutMs: number;
  /**
   * How long a request waits for the ticket (and the conversation position it names) to arrive on
   * the conversations topic before it is answered as unknown: a bot usually requests a handoff
   * right after the messages it ingested, ahead of this service's consumer.
   */
  ticketWaitMs?: number;
  /** Channel assumed when neither the request nor the ticket names one. */
  defaultChannel: string;
}

/** What happens when routing finds nobody: the alert (log + metric) of issue 7. */
export interface NoEligibleAgentAlert {
  raise(alert: {
    tenantId: string;
    handoffId: string;
    ticketId: string;
    target: string;
    reasons: string[];
  }): void;
}

/** Observes the latency from the request to its offer (a metric). */
export interface OfferObserver {
  offered(event: {
    tenantId: string;
    handoffId: string;
    requestedAt: Date;
    offeredAt: Date;
    withoutBrief: boolean;
  }): void;
}

export type RequestHandoffInput = Omit<RequestFields, 'tenantId' | 'handoffId'> & { handoffId?: string };

export interface LifecycleEntry {
  revision: number;
  type: string;
  occurredAt: string;
  actor: { kind: string; id: string };
  correlationId: string;
  data: unknown;
}

export interface HandoffDetail {
  handoffId: string;
  tenantId: string;
  ticketId: string;
  handoffType: string;
  status: HandoffState['status'];
  from: { kind: string; id: string };
  to: { kind: string; id: string };
  reasonCode: string;
  note?: string;
  priority: string;
  conversationPosition: string;
  channel?: string;
  diagnostics?: unknown;
  brief?: { briefId: string; version: number; coversPosition: string };
  currentOffer?: { offerId: string; agentId: string; teamId?: string; expiresAt: string };
  acceptedBy?: string;
  attempts: number;
  expiries: number;
  escalated: boolean;
  lifecycle: LifecycleEntry[];
  offers: OfferView[];
}

/** A handoff state in memory and the stream revision it was folded up to. */
type Known = KnownState<HandoffState>;

/** Routing as decided for an offer (a chosen agent's capacity slot is reserved under `offerId`). */
interface RoutedOffer {
  offerId: string;
  routing: RoutingOutcome;
  acceptanceTimeoutMs: number;
}

/** Attempts at reserving a slot before giving up (each failure re-reads the agents' load). */
const MAX_RESERVATION_ATTEMPTS = 5;

export class HandoffCommands {
  constructor(
    private readonly store: EventStore,
    private readonly queries: EscalationQueries,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly settings: HandoffSettings,
    private readonly alert: NoEligibleAgentAlert,
    private readonly observer: OfferObserver,
    private readonly onProgressError: (error: unknown, handoffId: string) => void,
  ) {}

  /**
   * The ticket as this service knows it (with a brief covering the requested position and the
   * previous agent), waiting (bounded by `ticketWaitMs`) while it is unknown or behind the
   * conversation position the request names. Polling its own read model: the REST call never calls
   * another service.
   */
  private async requestContextCaughtUp(
    tenantId: string,
    ticketId: string,
    conversationPosition: string | undefined,
    exclude: readonly string[],
  ) {
    const waitMs = this.settings.ticketWaitMs ?? 0;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const context = await this.queries.requestContext(tenantId, ticketId, conversationPosition, exclude);
      const { ticket } = context;
      const caughtUp =
        ticket !== undefined &&
        (conversationPosition === undefined || BigInt(ticket.lastSequence) >= BigInt(conversationPosition));
      if (caughtUp || Date.now() >= deadline) return context;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Records the request. When a brief covering the conversation is already known, the brief is
   * attached and the handoff routed and offered in the same decision (one append), with a capacity
   * slot of the chosen agent reserved first; otherwise the offer waits for the brief (or its timeout)
   * and the process manager continues it. A new handoff's detail comes from the events appended.
   */
  async request(
    input: RequestHandoffInput,
    ctx: CommandContext,
  ): Promise<{ handoffId: string; created: boolean; detail?: HandoffDetail }> {
    const handoffId = input.handoffId ?? this.ids.next();
    const exclude = input.from.kind === 'agent' ? [input.from.id] : [];
    const [context, routingContext] = await Promise.all([
      this.requestContextCaughtUp(ctx.tenantId, input.ticketId, input.conversationPosition, exclude),
      this.queries.routingContext(ctx.tenantId),
    ]);
    const { ticket, brief } = context;
    const request: RequestFields = { ...input, handoffId, tenantId: ctx.tenantId };
    let fastPath: Pick<
      Extract<HandoffCommand, { type: 'RequestHandoff' }>,
      'briefAtRequest' | 'routingAtRequest'
    > = {};
    if (ticket?.status === 'open' && brief !== undefined) {
      const language =
        input.language ?? (brief.language !== null && brief.language !== 'und' ? brief.language : undefined);
      const routing = await this.routeAndReserve(
        request,
        ticket,
        {
          target: input.to,
          exclude,
          supervisorsOnly: false,
          ...(language === undefined ? {} : { language }),
        },
        { routing: routingContext, previousAgentId: context.previousAgentId },
      );
      fastPath = {
        briefAtRequest: {
          brief: { briefId: brief.briefId, version: brief.version },
          coversPosition: brief.coversPosition,
          ...(brief.language === null ? {} : { language: brief.language }),
        },
        routingAtRequest: routing,
      };
    }
    const outcome = await this.offering(fastPath.routingAtRequest, () =>
      this.decideAndAppend(
        handoffId,
        input.ticketId,
        ctx,
        (now) => ({
          type: 'RequestHandoff',
          request,
          ticket,
          now,
          briefTimeoutMs: this.settings.briefTimeoutMs,
          ...fastPath,
        }),
        { state: handoffDecider.initialState(), revision: 'no-stream' },
      ),
    );
    this.report(outcome.events, request, ctx);
    return {
      handoffId,
      created: outcome.events.length > 0,
      // The stream is exactly the events appended: the detail needs no read.
      ...(startsStream(outcome.events, outcome.known.revision)
        ? { detail: this.detailOfNew(outcome.events, outcome.metadata) }
        : {}),
    };
  }

  /** Turns a ChannelSwitched fact into a channel_switch handoff (recorded, or routed when the owner cannot stay). */
  async recordChannelSwitch(
    switched: {
      handoffId: string;
      ticketId: string;
      fromChannel: string;
      toChannel: string;
      messageId: string;
    },
    ctx: CommandContext,
  ): Promise<void> {
    const ticket = await this.queries.ticket(ctx.tenantId, switched.ticketId);
    const owner = ticket?.owner;
    let stayingOwner: { kind: 'agent' | 'bot'; id: string } | undefined;
    let to: RequestFields['to'] = { kind: 'tier', id: '1' };
    if (owner === undefined || owner.kind === 'bot') {
      // The bot serves every channel: it stays the owner.
      stayingOwner = { kind: 'bot', id: owner?.id ?? 'bot' };
      to = { kind: 'tier', id: 'bot' };
    } else {
      const [agent] = await this.queries.agents(ctx.tenantId, owner.id);
      const serves =
        agent !== undefined && agent.presence === 'online' && (agent.capacity[switched.toChannel] ?? 0) > 0;
      if (serves) {
        stayingOwner = owner;
        to = { kind: 'agent', id: owner.id };
      } else if (agent?.teams[0] !== undefined) {
        to = { kind: 'team', id: agent.teams[0] };
      }
    }
    await this.run(switched.handoffId, switched.ticketId, ctx, (now) => ({
      type: 'RecordChannelSwitch',
      request: {
        handoffId: switched.handoffId,
        tenantId: ctx.tenantId,
        ticketId: switched.ticketId,
        handoffType: 'channel_switch',
        from: { kind: 'system', id: 'conversations' },
        to,
        reasonCode: 'channel_switched',
        note: `Customer continued on ${switched.toChannel} (was ${switched.fromChannel})`,
        priority: 'normal',
        requestedBy: { kind: 'system', id: 'escalation' },
        channel: switched.toChannel as RequestFields['channel'] & string,
        requiredSkills: [],
      },
      fromChannel: switched.fromChannel as never,
      toChannel: switched.toChannel as never,
      messageId: switched.messageId,
      stayingOwner,
      ticket,
      now,
      briefTimeoutMs: this.settings.briefTimeoutMs,
    }));
    await this.progressQuietly(switched.handoffId, ctx);
  }

  async accept(handoffId: string, agentId: string, ctx: CommandContext): Promise<HandoffDetail> {
    await this.runOnExisting(handoffId, ctx, (now) => ({
      type: 'AcceptOffer',
      handoffId,
      tenantId: ctx.tenantId,
      agentId,
      now,
    }));
    return this.detail(handoffId, ctx.tenantId);
  }

  async decline(
    handoffId: string,
    input: { agentId: string; reasonCode: string | undefined; note?: string },
    ctx: CommandContext,
  ): Promise<HandoffDetail> {
    const declined = await this.runOnExisting(handoffId, ctx, (now) => ({
      type: 'DeclineOffer',
      handoffId,
      tenantId: ctx.tenantId,
      agentId: input.agentId,
      reasonCode: input.reasonCode,
      ...(input.note === undefined ? {} : { note: input.note }),
      now,
    }));
    await this.progressQuietly(handoffId, ctx, declined);
    return this.detail(handoffId, ctx.tenantId);
  }

  async cancel(handoffId: string, reason: string, ctx: CommandContext): Promise<HandoffDetail> {
    await this.runOnExisting(handoffId, ctx, (now) => ({
      type: 'CancelHandoff',
      handoffId,
      tenantId: ctx.tenantId,
      cancelledBy: ctx.actor,
      reason,
      now,
    }));
    return this.detail(handoffId, ctx.tenantId);
  }

  async handBack(
    handoffId: string,
    input: { botId: string; reason?: string },
    ctx: CommandContext,
  ): Promise<HandoffDetail> {
    await this.runOnExisting(handoffId, ctx, (now) => ({
      type: 'HandBackToBot',
      handoffId,
      tenantId: ctx.tenantId,
      botId: input.botId,
      handedBackBy: ctx.actor,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      now,
    }));
    return this.detail(handoffId, ctx.tenantId);
  }

  /** The acceptance deadline of `offerId` passed: expire it (once), escalate after N, then re-offer. */
  async expire(handoffId: string, offerId: string, ctx: CommandContext): Promise<void> {
    const known = await this.load(handoffId);
    const { state } = known;
    if (state.status !== 'offered' || state.request.tenantId !== ctx.tenantId) return;
    const policy = await this.queries.acceptancePolicy(
      ctx.tenantId,
      state.offer.teamId,
      state.request.handoffType,
    );
    const expired = await this.decideAndAppend(
      handoffId,
      state.request.ticketId,
      ctx,
      (now) => ({
        type: 'ExpireOffer',
        handoffId,
        tenantId: ctx.tenantId,
        offerId,
        maxExpiries: policy.maxExpiries,
        now,
      }),
      known,
    );
    await this.progress(handoffId, ctx, expired.known);
  }

  /**
   * The process manager step: while the handoff is requested, attach a brief covering its position
   * when one is known, and once the brief is there (or its wait is over) route and offer it.
   */
  async progress(handoffId: string, ctx: CommandContext, known?: Known): Promise<void> {
    let current = known ?? (await this.load(handoffId));
    if (current.state.status !== 'requested' || current.state.request.tenantId !== ctx.tenantId) return;
    const { request } = current.state;
    if (current.state.brief === undefined) {
      const brief = await this.queries.briefCovering(
        ctx.tenantId,
        request.ticketId,
        current.state.conversationPosition,
      );
      if (brief !== undefined) {
        const attached = await this.decideAndAppend(
          handoffId,
          request.ticketId,
          ctx,
          (now) => ({
            type: 'AttachBrief',
            handoffId,
            tenantId: ctx.tenantId,
            brief: { briefId: brief.briefId, version: brief.version },
            coversPosition: brief.coversPosition,
            ...(brief.language === null ? {} : { language: brief.language }),
            now,
          }),
          current,
        );
        current = attached.known;
      }
    }
    const state = current.state;
    if (state.status !== 'requested' || !offerAllowed(state, this.clock.now())) return;
    const ticket = await this.queries.ticket(ctx.tenantId, request.ticketId);
    const routed = await this.routeAndReserve(request, ticket, routingNeedsOf(state));
    const outcome = await this.offering(routed, () =>
      this.decideAndAppend(
        handoffId,
        request.ticketId,
        ctx,
        (now) => ({ type: 'RouteHandoff', handoffId, tenantId: ctx.tenantId, ...routed, now }),
        current,
      ),
    );
    this.report(outcome.events, request, ctx);
  }

  /**
   * Routing of a handoff as of now (the candidates with the slots they hold, the previous agent, the
   * team's deadline), with a slot of the chosen agent reserved on the handoff's channel. When the
   * slot went to a concurrent handoff in between, routing runs again on the fresh load.
   */
  private async routeAndReserve(
    request: RequestFields,
    ticket: TicketView | undefined,
    needs: ReturnType<typeof routingNeedsOf>,
    known?: { routing: RoutingContext; previousAgentId: string | undefined },
  ): Promise<RoutedOffer> {
    const channel = request.channel ?? ticket?.channel ?? this.settings.defaultChannel;
    const previousAgentId =
      known === undefined
        ? await this.queries.previousAgent(
            request.tenantId,
            request.ticketId,
            ticket?.customerId ?? null,
            needs.exclude,
          )
        : known.previousAgentId;
    let context = known?.routing;
    for (let attempt = 1; ; attempt += 1) {
      context ??= await this.queries.routingContext(request.tenantId);
      const routing = routeHandoff(
        {
          target: needs.target,
          requiredSkills: request.requiredSkills,
          ...(needs.language === undefined ? {} : { language: needs.language }),
          channel,
          ...(previousAgentId === undefined ? {} : { previousAgentId }),
          exclude: needs.exclude,
          supervisorsOnly: needs.supervisorsOnly,
        },
        context.candidates,
      );
      const teamId = routing.kind === 'chosen' ? routing.teamId : undefined;
      const policy = this.queries.policyAmong(context.policies, teamId, request.handoffType);
      const offer = { offerId: this.ids.next(), routing, acceptanceTimeoutMs: policy.timeoutSeconds * 1000 };
      if (routing.kind === 'none') return offer;
      const chosen = context.candidates.find((c) => c.agentId === routing.agent.agentId);
      const reserved = await this.queries.reserveCapacity({
        tenantId: request.tenantId,
        agentId: routing.agent.agentId,
        channel,
        capacity: chosen?.capacity[channel] ?? 0,
        offerId: offer.offerId,
        handoffId: request.handoffId,
        ticketId: request.ticketId,
        at: this.clock.now(),
      });
      if (reserved) return offer;
      if (attempt >= MAX_RESERVATION_ATTEMPTS) {
        throw new Error(
          `no capacity slot could be reserved for handoff ${request.handoffId} in ${attempt} routing attempts`,
        );
      }
      context = undefined;
    }
  }

  /**
   * Runs the append of a decision that may offer `routed`: when the offer was not made after all
   * (the decider decided otherwise, or the append failed), its reserved slot is given back.
   */
  private async offering<T extends { events: HandoffEvent[] }>(
    routed: RoutedOffer | undefined,
    append: () => Promise<T>,
  ): Promise<T> {
    const release = async () => {
      if (routed === undefined || routed.routing.kind !== 'chosen') return;
      await this.queries.releaseCapacity(routed.offerId, this.clock.now());
    };
    let outcome: T;
    try {
      outcome = await append();
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
    const offered = outcome.events.some(
      (e) => e.type === 'HandoffOffered' && e.data.offerId === routed?.offerId,
    );
    if (!offered) await release();
    return outcome;
  }

  /** The alert of a NoEligibleAgent decision and the request → offer latency metric. */
  private report(events: HandoffEvent[], request: RequestFields, ctx: CommandContext): void {
    for (const event of events) {
      if (event.type === 'HandoffRequested') request = event.data;
      if (event.type === 'NoEligibleAgentFound') {
        this.alert.raise({
          tenantId: ctx.tenantId,
          handoffId: request.handoffId,
          ticketId: request.ticketId,
          target: `${request.to.kind}:${request.to.id}`,
          reasons: event.data.reasons,
        });
      }
      if (event.type === 'HandoffOffered' && event.data.attempt === 1 && 'requestedAt' in request) {
        this.observer.offered({
          tenantId: ctx.tenantId,
          handoffId: request.handoffId,
          requestedAt: new Date(request.requestedAt as string),
          offeredAt: new Date(event.data.offeredAt),
          withoutBrief: event.data.withoutBrief,
        });
      }
    }
  }

  /** The handoff with its full lifecycle, from its own stream (always current), and its offers. */
  async detail(handoffId: string, tenantId: string): Promise<HandoffDetail> {
    const recorded = await this.readStream(handoffId);
    const state = recorded
      .map((r) => ({ type: r.type, data: r.data }) as HandoffEvent)
      .reduce(handoffDecider.evolve, handoffDecider.initialState());
    if (state.status === 'none' || state.request.tenantId !== tenantId) throw new HandoffNotFound(handoffId);
    return detailOf(
      state,
      recorded.map((e) => ({
        revision: Number(e.revision),
        type: e.type,
        occurredAt: e.metadata.occurredAt,
        actor: e.metadata.actor,
        correlationId: e.metadata.correlationId,
        data: e.data,
      })),
      await this.queries.offersOfHandoff(tenantId, handoffId),
    );
  }

  /** The detail of a handoff whose stream is exactly `events` (just appended to a new stream). */
  private detailOfNew(events: HandoffEvent[], metadata: EventMetadata): HandoffDetail {
    const state = events.reduce(handoffDecider.evolve, handoffDecider.initialState());
    if (state.status === 'none') throw new Error('a new handoff stream starts with HandoffRequested');
    const { request } = state;
    const offers: OfferView[] = events.flatMap((e) =>
      e.type === 'HandoffOffered'
        ? [
            {
              offerId: e.data.offerId,
              handoffId: request.handoffId,
              ticketId: request.ticketId,
              agentId: e.data.agent.agentId,
              teamId: e.data.teamId ?? null,
              status: 'offered',
              brief: e.data.brief ?? null,
              withoutBrief: e.data.withoutBrief,
              attempt: e.data.attempt,
              routing: e.data.routing,
              offeredAt: e.data.offeredAt,
              expiresAt: e.data.expiresAt,
              answeredAt: null,
              answerReason: null,
            },
          ]
        : [],
    );
    return detailOf(
      state,
      events.map((e, revision) => ({
        revision,
        type: e.type,
        occurredAt: metadata.occurredAt,
        actor: metadata.actor,
        correlationId: metadata.correlationId,
        data: e.data,
      })),
      offers,
    );
  }

  private async progressQuietly(handoffId: string, ctx: CommandContext, known?: Known): Promise<void> {
    try {
      await this.progress(handoffId, ctx, known);
    } catch (error) {
      // The request is recorded; the durable `progress` deadline derived from it retries this step.
      this.onProgressError(error, handoffId);
    }
  }

  private async readStream(handoffId: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(handoffStream(handoffId));
    } catch (error) {
      if (error instanceof StreamNotFound) return [];
      throw error;
    }
  }

  private async load(handoffId: string): Promise<Known> {
    const recorded = await this.readStream(handoffId);
    return {
      state: recorded
        .map((r) => ({ type: r.type, data: r.data }) as HandoffEvent)
        .reduce(handoffDecider.evolve, handoffDecider.initialState()),
      revision: recorded.at(-1)?.revision ?? 'no-stream',
    };
  }

  private async runOnExisting(
    handoffId: string,
    ctx: CommandContext,
    command: (now: Date) => HandoffCommand,
  ): Promise<Known> {
    const known = await this.load(handoffId);
    const { state } = known;
    if (state.status === 'none' || state.request.tenantId !== ctx.tenantId)
      throw new HandoffNotFound(handoffId);
    return (await this.decideAndAppend(handoffId, state.request.ticketId, ctx, command, known)).known;
  }

  private async run(
    handoffId: string,
    ticketId: string,
    ctx: CommandContext,
    command: (now: Date) => HandoffCommand,
  ): Promise<HandoffEvent[]> {
    return (await this.decideAndAppend(handoffId, ticketId, ctx, command)).events;
  }

  /**
   * Decides and appends through handleCommand; with `known` (a state this request just read or
   * appended) the decision is made on it without reading the stream again.
   */
  private async decideAndAppend(
    handoffId: string,
    ticketId: string,
    ctx: CommandContext,
    command: (now: Date) => HandoffCommand,
    known?: Known,
  ): Promise<{ events: HandoffEvent[]; known: Known; metadata: EventMetadata }> {
    const now = this.clock.now();
    const metadata: EventMetadata = {
      tenantId: ctx.tenantId,
      ticketId,
      correlationId: ctx.correlationId,
      ...(ctx.causationId === undefined ? {} : { causationId: ctx.causationId }),
      actor: ctx.actor,
      occurredAt: now.toISOString(),
    };
    const result = await handleCommand(this.store, handoffStream(handoffId), handoffDecider, command(now), {
      metadata,
      ...(known === undefined ? {} : { known }),
    });
    return {
      events: result.events,
      known: { state: result.state, revision: result.nextExpectedRevision },
      metadata,
    };
  }
}

/** Whether `events` are the whole stream: the first ones appended, ending at `revision`. */
function startsStream(events: readonly HandoffEvent[], revision: bigint | 'no-stream'): boolean {
  return events.length > 0 && revision === BigInt(events.length - 1);
}

function detailOf(
  state: Exclude<HandoffState, { status: 'none' }>,
  lifecycle: LifecycleEntry[],
  offers: OfferView[],
): HandoffDetail {
  const r = state.request;
  return {
    handoffId: r.handoffId,
    tenantId: r.tenantId,
    ticketId: r.ticketId,
    handoffType: r.handoffType,
    status: state.status,
    from: r.from,
    to: r.to,
    reasonCode: r.reasonCode,
    ...(r.note === undefined ? {} : { note: r.note }),
    priority: r.priority,
    conversationPosition: r.conversationPosition,
    ...(r.channel === undefined ? {} : { channel: r.channel }),
    ...(r.diagnostics === undefined ? {} : { diagnostics: r.diagnostics }),
    ...(state.brief === undefined
      ? {}
      : { brief: { ...state.brief.ref, coversPosition: state.brief.coversPosition } }),
    ...(state.status === 'offered'
      ? {
          currentOffer: {
            offerId: state.offer.offerId,
            agentId: state.offer.agent.agentId,
            ...(state.offer.teamId === undefined ? {} : { teamId: state.offer.teamId }),
            expiresAt: state.offer.expiresAt.toISOString(),
          },
        }
      : {}),
    ...(state.status === 'accepted' ? { acceptedBy: state.agent.agentId } : {}),
    attempts: state.attempts,
    expiries: state.expiries,
    escalated: state.escalated,
    lifecycle,
    offers,
  };
}

import { type EventMetadata, type EventStore, WrongExpectedVersion } from '@handoff/event-store';
import {
  AlreadyMerged,
  TicketClosedAlready,
  TicketUnresolvable,
  UnknownTicketReference,
  VerifiedIdentityConflict,
} from '../domain/conversations.errors';
import { type ActorRef, customerDecider } from '../domain/customer.decider';
import { type IncomingMessage, type ValidMessage, validateMessage } from '../domain/inbound-message';
import { verifiedConflicts } from '../domain/identity';
import { chooseTicket, type ContinuityDecision } from '../domain/ticket-continuity';
import { type TicketCommand, ticketDecider } from '../domain/ticket.decider';
import {
  type Clock,
  type CommandContext,
  type CustomerLocks,
  type IdGenerator,
  type IngestSettings,
  type ProjectionBarrier,
  type ReadModelQueries,
  type TicketRow,
  metadataOf,
} from './conversations.ports';
import type { CustomerIdentities } from './customer-identities';
import { customerStream, inboundStream, ticketStream } from './stream-names';
import { execute, loadStream, StreamStateCache } from './stream-runner';

type ReceiveMessage = Extract<TicketCommand, { type: 'ReceiveMessage' }>;

/**
 * What the ingestion of one channel message decided, recorded on its `inbound-<hash>` stream before
 * the ticket is written: a repeat of the message (or a crash before the ticket append) completes
 * exactly this plan instead of deciding again.
 */
export interface IngestPlan {
  command: ReceiveMessage;
  rule: ContinuityDecision['rule'];
  metadata: EventMetadata;
}

interface MessagePlanned {
  type: 'MessagePlanned';
  data: IngestPlan;
}

/** The answer of an ingestion; the same for every repeat of the channel message. */
export interface IngestResult {
  messageId: string;
  ticketId: string;
  customerId: string;
  sequence: number;
  /** Which continuity rule placed the message. */
  rule: ContinuityDecision['rule'];
}

export interface IngestOutcome {
  result: IngestResult;
  /** True when the channel message had been ingested before: nothing was appended. */
  replayed: boolean;
}

/** Who the message is from and which customer's tickets it belongs to. */
interface Parties {
  customerId: string;
  senderId: string;
  ambiguous: boolean;
}

const MAX_REPLANS = 3;

/**
 * Ingestion of one channel message, shared by `POST /v1/messages` and the inbound topic.
 *
 * Idempotency: the per-channel-message stream `inbound-<sha256(tenant, channel, channelMessageId)>`
 * is appended with expected revision `no-stream`, so of two concurrent deliveries exactly one claims
 * the message; the other reads the winner's plan and returns its result. The ticket decider is
 * idempotent by message id too, so completing a plan twice appends nothing.
 *
 * Continuity decisions of one customer are serialised (a lock per customer across replicas) and
 * each ingestion waits until its events are in the read model before it releases the lock, so the
 * next message of the customer sees the ticket the previous one opened.
 */
export class IngestMessageHandler {
  constructor(
    private readonly store: EventStore,
    private readonly identities: CustomerIdentities,
    private readonly readModel: ReadModelQueries,
    private readonly locks: CustomerLocks,
    private readonly barrier: ProjectionBarrier,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly settings: IngestSettings,
    private readonly cache: StreamStateCache = new StreamStateCache(),
  ) {}

  async ingest(
    input: IncomingMessage,
    request: { correlationId: string; causationId?: string },
  ): Promise<IngestOutcome> {
    const message = validateMessage(input, this.settings.maxMessageChars);
    const guard = inboundStream(message.tenantId, message.channel, message.channelMessageId);
    const prior = await this.readPlan(guard);
    if (prior.plan) return { result: await this.complete(prior.plan), replayed: true };

    const referenced = await this.referencedTicket(message);
    const thread =
      message.channelThreadId === undefined
        ? undefined
        : await this.readModel.ticketForThread(message.tenantId, message.channel, message.channelThreadId);
    const context: CommandContext = {
      tenantId: message.tenantId,
      actor: this.senderActor(message),
      correlationId: request.correlationId,
      ...(request.causationId === undefined ? {} : { causationId: request.causationId }),
    };
    const parties = await this.parties(message, referenced, thread, context);

    return this.locks.withLock(`${message.tenantId}/customer/${parties.customerId}`, async () => {
      let candidates = { referenced, thread };
      for (let attempt = 0; ; attempt++) {
        const current = await this.readPlan(guard);
        // Another delivery of the same message got here first while this one waited for the lock.
        if (current.plan && attempt === 0)
          return { result: await this.complete(current.plan), replayed: true };
        const plan = await this.plan(message, parties, candidates, context);
        try {
          await this.store.append(guard, [{ type: 'MessagePlanned', data: plan, metadata: plan.metadata }], {
            expectedRevision: current.revision,
          });
        } catch (error) {
          if (!(error instanceof WrongExpectedVersion)) throw error;
          const winner = await this.readPlan(guard);
          if (!winner.plan) throw error;
          return { result: await this.complete(winner.plan), replayed: true };
        }
        try {
          return { result: await this.complete(plan), replayed: false };
        } catch (error) {
          // The chosen ticket was closed or merged since the read model was read: decide again.
          const stale = error instanceof TicketClosedAlready || error instanceof AlreadyMerged;
          if (!stale || attempt >= MAX_REPLANS) throw error;
          candidates = {
            referenced: await this.referencedTicket(message),
            thread:
              message.channelThreadId === undefined
                ? undefined
                : await this.readModel.ticketForThread(
                    message.tenantId,
                    message.channel,
                    message.channelThreadId,
                  ),
          };
        }
      }
    });
  }

  private async referencedTicket(message: ValidMessage): Promise<TicketRow | undefined> {
    if (message.ticketId === undefined) return undefined;
    const ticket = await this.readModel.ticketForReference(message.tenantId, message.ticketId);
    if (!ticket) throw new UnknownTicketReference(message.ticketId);
    return ticket;
  }

  private async parties(
    message: ValidMessage,
    referenced: TicketRow | undefined,
    thread: TicketRow | undefined,
    context: CommandContext,
  ): Promise<Parties> {
    const identity = message.sender.identity;
    if (message.sender.kind !== 'customer' || !identity) {
      const customerId = referenced?.customerId ?? thread?.customerId;
      if (customerId === undefined) throw new TicketUnresolvable();
      const senderId = message.sender.id ?? identity?.value ?? message.sender.kind;
      return { customerId, senderId, ambiguous: false };
    }
    if (!referenced) {
      const customerId = await this.identities.resolveOrCreate(context, identity);
      return { customerId, senderId: customerId, ambiguous: false };
    }
    const known = await this.identities.resolve(context, identity);
    if (known === referenced.customerId) return { customerId: known, senderId: known, ambiguous: false };
    if (known !== undefined) {
      // A known customer writes into another customer's ticket: never merge on that signal alone.
      return { customerId: referenced.customerId, senderId: known, ambiguous: true };
    }
    // A new identity that names a ticket: it is the ticket's customer, unless that customer already
    // has a different verified identifier of the same kind.
    const owner = await this.identities.customerOf(message.tenantId, referenced.customerId);
    if (verifiedConflicts([identity], owner.identities).length === 0) {
      if (await this.identities.bind(context, identity, referenced.customerId)) {
        try {
          await execute(
            this.store,
            customerStream(referenced.customerId),
            customerDecider,
            {
              type: 'AddIdentity',
              identity,
              how: 'linked',
              automatic: true,
              by: { kind: 'system', id: 'ticket-continuity' },
              reason: `the message referenced ticket ${referenced.ticketId}`,
              ticketId: referenced.ticketId,
            },
            metadataOf(context, this.clock, referenced.ticketId),
            this.cache,
          );
          return { customerId: referenced.customerId, senderId: referenced.customerId, ambiguous: false };
        } catch (error) {
          if (!(error instanceof VerifiedIdentityConflict)) throw error;
        }
      }
      const bound = await this.identities.resolve(context, identity);
      if (bound !== undefined)
        return {
          customerId: referenced.customerId,
          senderId: bound,
          ambiguous: bound !== referenced.customerId,
        };
    }
    const own = await this.identities.resolveOrCreate(context, identity);
    return { customerId: referenced.customerId, senderId: own, ambiguous: own !== referenced.customerId };
  }

  private async plan(
    message: ValidMessage,
    parties: Parties,
    candidates: { referenced: TicketRow | undefined; thread: TicketRow | undefined },
    context: CommandContext,
  ): Promise<IngestPlan> {
    const openTickets = await this.readModel.openTicketsOf(message.tenantId, parties.customerId);
    const thread =
      candidates.thread && candidates.thread.customerId === parties.customerId
        ? candidates.thread
        : undefined;
    const decision = chooseTicket({
      ...(candidates.referenced ? { referenced: candidates.referenced } : {}),
      ...(thread ? { thread } : {}),
      openTickets,
    });
    const ticketId = decision.rule === 'new-ticket' ? this.ids.next() : decision.ticketId;
    const messageId = this.ids.next();
    const flag =
      decision.rule === 'most-recent-open-ticket'
        ? { reason: 'several_open_tickets' as const, otherTicketIds: decision.otherTicketIds }
        : parties.ambiguous
          ? { reason: 'ambiguous_identity' as const, otherTicketIds: [] }
          : undefined;
    const sender = {
      kind: message.sender.kind,
      id: parties.senderId,
      ...(message.sender.displayName === undefined ? {} : { displayName: message.sender.displayName }),
    };
    const command: ReceiveMessage = {
      type: 'ReceiveMessage',
      ticketId,
      tenantId: message.tenantId,
      message: {
        messageId,
        customerId: parties.customerId,
        channel: message.channel,
        channelMessageId: message.channelMessageId,
        ...(message.channelThreadId === undefined ? {} : { channelThreadId: message.channelThreadId }),
        sender,
        text: message.text,
        attachments: message.attachments,
        sentAt: message.sentAt,
      },
      ...(decision.rule === 'new-ticket' ? { open: { openedBy: context.actor } } : {}),
      reopenIfClosed: decision.rule === 'ticket-reference' && decision.reopen,
      ...(flag ? { flag } : {}),
    };
    const actor: ActorRef = { kind: message.sender.kind, id: parties.senderId };
    return {
      command,
      rule: decision.rule,
      metadata: metadataOf({ ...context, actor }, this.clock, ticketId),
    };
  }

  /** Applies a plan to its ticket (a no-op when it was applied before) and waits for the read model. */
  private async complete(plan: IngestPlan): Promise<IngestResult> {
    const { command } = plan;
    const executed = await execute(
      this.store,
      ticketStream(command.ticketId),
      ticketDecider,
      command,
      plan.metadata,
      this.cache,
    );
    if (executed.position !== undefined) await this.barrier.waitFor(executed.position);
    const state = executed.state;
    const sequence = state.status === 'none' ? undefined : state.sequences[command.message.messageId];
    if (sequence === undefined)
      throw new Error(`message ${command.message.messageId} missing from its ticket`);
    return {
      messageId: command.message.messageId,
      ticketId: command.ticketId,
      customerId: command.message.customerId,
      sequence,
      rule: plan.rule,
    };
  }

  private async readPlan(guard: string): Promise<{ plan?: IngestPlan; revision: bigint | 'no-stream' }> {
    const { state, revision } = await loadStream<IngestPlan | undefined, MessagePlanned>(
      this.store,
      guard,
      // The last plan wins: a plan is replaced only when its ticket could not take the message.
      (_current, event) => event.data,
      undefined,
    );
    return { ...(state ? { plan: state } : {}), revision };
  }

  private senderActor(message: ValidMessage): ActorRef {
    const id = message.sender.id ?? message.sender.identity?.value ?? message.sender.kind;
    return { kind: message.sender.kind, id };
  }
}

import {
  type EventMetadata,
  type EventStore,
  type MultiStreamEventStore,
  type NewEvent,
  type StreamAppend,
  StreamDeleted,
  supportsMultiStream,
  WrongExpectedVersion,
} from '@handoff/event-store';
import {
  AlreadyMerged,
  TicketClosedAlready,
  TicketUnresolvable,
  UnknownTicketReference,
  VerifiedIdentityConflict,
} from '../domain/conversations.errors';
import {
  type ActorRef,
  type CustomerEvent,
  type CustomerState,
  customerDecider,
  evolveCustomer,
  initialCustomerState,
} from '../domain/customer.decider';
import { type IncomingMessage, type ValidMessage, validateMessage } from '../domain/inbound-message';
import { verifiedConflicts } from '../domain/identity';
import { chooseTicket, type ContinuityDecision } from '../domain/ticket-continuity';
import {
  evolveTicket,
  initialTicketState,
  type TicketCommand,
  type TicketEvent,
  type TicketState,
  ticketDecider,
} from '../domain/ticket.decider';
import {
  type AppendWithReadModel,
  type Clock,
  type CommandContext,
  type ContinuityAnswer,
  type ContinuityRequest,
  type CustomerLocks,
  type IdGenerator,
  type IngestSettings,
  type ProjectionBarrier,
  ReadModelConflict,
  type ReadModelQueries,
  type TicketRow,
  metadataOf,
} from './conversations.ports';
import type { CustomerIdentities, IdentityBound } from './customer-identities';
import { customerStream, identityStream, inboundStream, ticketStream } from './stream-names';
import { execute, executeOnNewStream, loadStream, loadStreams, StreamStateCache } from './stream-runner';

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

/**
 * Where an ingested channel message went, without the message itself: the guard written by the
 * batch path, whose guard and ticket events commit together, so the ticket always holds the message
 * the receipt names and a repeat only has to read its sequence there. A plan, by contrast, is
 * written before its ticket event and must be able to complete it, so it repeats the whole message
 * (text, attachments, metadata): the largest event of a steady-state append, for a guard of the
 * batch path that never needs it.
 */
export interface IngestReceipt {
  messageId: string;
  ticketId: string;
  customerId: string;
  rule: ContinuityDecision['rule'];
}

interface MessageIngested {
  type: 'MessageIngested';
  data: IngestReceipt;
}

/** What a guard stream says: the last plan or receipt recorded on it. */
type GuardRecord = { plan: IngestPlan } | { receipt: IngestReceipt };

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

export interface IngestOptions {
  /**
   * Answer only once the read model holds the message (read-your-writes: a support tool that posts
   * a message and then reads the ticket sees it). The inbound topic has no reader waiting and skips
   * it; the continuity guarantee does not depend on it.
   */
  awaitProjection: boolean;
}

/** A plan, and whether the next message of the customer needs its events in the read model. */
interface Decided {
  plan: IngestPlan;
  /**
   * True when the plan changes what continuity reads (a new ticket, a reopened one, a thread that
   * moves to this ticket, or a customer with several open tickets, ordered by last activity).
   */
  changesContinuity: boolean;
}

/** What applying the ingestion's own plan left: its result and where its events are. */
interface Applied {
  result: IngestResult;
  /** Position of the last event appended; undefined when nothing was (a completed repeat). */
  position?: bigint;
  /** Whether the read model already holds `position`. */
  projected: boolean;
}

/** Who the message is from and which customer's tickets it belongs to. */
interface Parties {
  customerId: string;
  senderId: string;
  ambiguous: boolean;
}

/** One message of {@link IngestMessageHandler.ingestMany}, with its request's correlation. */
export interface IngestItem {
  input: IncomingMessage;
  request: { correlationId: string; causationId?: string };
}

/** What became of one message of a batch. */
export type IngestItemResult = { ok: true; outcome: IngestOutcome } | { ok: false; error: unknown };

export interface IngestManyOptions extends IngestOptions {
  /**
   * The items are a stream's order (the inbound topic): a message whose thread or sender had an
   * earlier message fail in the batch is left alone (reported as {@link NotIngestedAfterFailure}),
   * so it never overtakes that message when it is retried.
   */
  keepOrder: boolean;
}

/** A message of a batch left alone because an earlier message of its thread or sender failed. */
export class NotIngestedAfterFailure extends Error {
  constructor() {
    super('not ingested: an earlier message of its thread or sender failed in the same batch');
  }
}

/*
 * The batch path's stages (Pending → Resolved → Decided → Planned) extend each item with
 * `Object.assign({}, item, fields)`, not `{ ...item, ...fields }`: in Node 20 (V8 11.3) each property
 * a literal adds after a leading spread (one the spread object does not have) takes a slow path that
 * builds a new hidden class every time, about 2 µs a property, several times per message. Replacing
 * a property the spread object has is not affected.
 */

/** A batch item that passed validation and was not ingested before. */
interface Pending {
  index: number;
  item: IngestItem;
  message: ValidMessage;
  guard: string;
  /** The sender identity's stream, when the sender has an identity (hashed once per message). */
  identityStream: string | undefined;
  /** Ordering keys: the sender identity's stream and the channel thread. */
  keys: string[];
}

/** A fast-path item, its customer resolved. */
interface Resolved extends Pending {
  /** The customer's identity (a customer's message); a new customer's claim is appended with it. */
  identity: NonNullable<ValidMessage['sender']['identity']> | undefined;
  context: CommandContext;
  customerId: string;
  /** Who wrote: the customer, or for anyone else's message their id (as the one-by-one path says). */
  senderId: string;
  /** For a message that is not the customer's: the ticket its thread belonged to when resolved. */
  threadTicketId?: string;
  /** The customer is new: its identity claim and its stream are appended with the message. */
  fresh: boolean;
}

/** A fast-path item, planned, with the events it appends. */
interface Planned extends Resolved {
  plan: IngestPlan;
  changesContinuity: boolean;
  ticketBefore: { state: TicketState; revision: bigint | 'no-stream' };
  ticketEvents: TicketEvent[];
}

const MAX_REPLANS = 3;
const MAX_REMEMBERED_RESULTS = 50_000;
/** Most messages decided and appended together by the batch path. */
const MAX_ROUND = 128;

/**
 * Ingestion of one channel message, shared by `POST /v1/messages` and the inbound topic.
 *
 * Idempotency: the per-channel-message stream `inbound-<sha256(tenant, channel, channelMessageId)>`
 * is appended with expected revision `no-stream`, so of two concurrent deliveries exactly one claims
 * the message; the other reads the winner's plan (or, from the batch path, its receipt) and returns
 * its result. The ticket decider is idempotent by message id too, so completing a plan twice appends
 * nothing.
 *
 * Continuity decisions of one customer are serialised (a lock per customer across replicas). An
 * ingestion that changed what continuity reads (opened or reopened a ticket, moved a thread, chose
 * among several open tickets) waits until its events are in the read model before it releases the
 * lock, so the next message of the customer sees the ticket the previous one opened. A message that
 * joins the customer's only open ticket on a thread the ticket already holds changes none of that,
 * and releases the lock as soon as its events are appended. The batch path, given an
 * {@link AppendWithReadModel}, writes its read-model rows in its append's transaction and waits for
 * the projection neither under the lock nor before it answers.
 */
export class IngestMessageHandler {
  /**
   * Guard stream → result of the channel messages this process ingested completely. A completed
   * plan is final (only a plan whose ticket refused the message is ever replaced), so a repeat
   * (a consumer's second pass, a REST retry) is answered without reading the store.
   */
  private readonly ingested = new Map<string, IngestResult>();

  /** The store's multi-stream operations, when it has them (the batch path needs them). */
  private readonly multi: MultiStreamEventStore | undefined;

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
    /** When set, the batch path writes its read-model rows in its append's transaction. */
    private readonly withReadModel?: AppendWithReadModel,
  ) {
    this.multi = supportsMultiStream(store) ? store : undefined;
  }

  async ingest(
    input: IncomingMessage,
    request: { correlationId: string; causationId?: string },
    options: IngestOptions = { awaitProjection: true },
  ): Promise<IngestOutcome> {
    const message = validateMessage(input, this.settings.maxMessageChars);
    const guard = inboundStream(message.tenantId, message.channel, message.channelMessageId);
    const known = this.ingested.get(guard);
    if (known) return { result: known, replayed: true };
    // The read-model reads go along with the guard read; a repeat answers even if they failed.
    const needsThread = !(message.sender.kind === 'customer' && message.sender.identity);
    const [prior, tickets] = await Promise.all([
      this.readPlan(guard),
      Promise.all([
        this.referencedTicket(message),
        // Only a sender other than an identified customer needs the thread to know whose message it
        // is; everyone else's thread is read under the lock, with the customer's open tickets.
        needsThread ? this.threadTicket(message) : undefined,
      ]).then(
        (found) => ({ found }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (prior.record) return this.complete(guard, prior.record);
    if ('error' in tickets) throw tickets.error;
    const [referenced, thread] = tickets.found;
    const context: CommandContext = {
      tenantId: message.tenantId,
      actor: this.senderActor(message),
      correlationId: request.correlationId,
      ...(request.causationId === undefined ? {} : { causationId: request.causationId }),
    };
    const parties = await this.parties(message, referenced, thread, context);

    const outcome = await this.locks.withLock(
      `${message.tenantId}/customer/${parties.customerId}`,
      async (): Promise<IngestOutcome & { applied?: Applied }> => {
        let candidate = referenced;
        // No plan existed before the lock: a delivery that claimed the message meanwhile makes the
        // `no-stream` append below fail, and its plan is then completed instead.
        let revision = prior.revision;
        for (let attempt = 0; ; attempt++) {
          const { plan, changesContinuity } = await this.plan(message, parties, candidate, context);
          try {
            await this.store.append(
              guard,
              [{ type: 'MessagePlanned', data: plan, metadata: plan.metadata }],
              { expectedRevision: revision },
            );
          } catch (error) {
            if (!(error instanceof WrongExpectedVersion)) throw error;
            const winner = await this.readPlan(guard);
            if (!winner.record) throw error;
            return this.complete(guard, winner.record);
          }
          try {
            const applied = await this.apply(plan, changesContinuity);
            this.remember(guard, applied.result);
            return { result: applied.result, replayed: false, applied };
          } catch (error) {
            // The chosen ticket was closed or merged since the read model was read: decide again.
            const stale = error instanceof TicketClosedAlready || error instanceof AlreadyMerged;
            if (!stale || attempt >= MAX_REPLANS) throw error;
            revision = (await this.readPlan(guard)).revision;
            candidate = await this.referencedTicket(message);
          }
        }
      },
    );
    const { applied } = outcome;
    if (options.awaitProjection && applied?.position !== undefined && !applied.projected)
      await this.barrier.waitFor(applied.position);
    return { result: outcome.result, replayed: outcome.replayed };
  }

  /**
   * Ingests many channel messages at once, with the same outcome per message as {@link ingest}
   * (results in item order; one message's failure is its own). The messages go in rounds in which
   * no sender identity and no channel thread appears twice, so each customer's messages are decided
   * one after another, in item order.
   *
   * A customer's message that names no ticket takes the batch path when the store has multi-stream
   * operations: the round's customers are resolved, locked, read and decided together, and every
   * event of the round (identity claims, new customers, guards, tickets) is appended in one
   * transaction: a handful of round trips per round instead of several per message. Anything the
   * batch path cannot decide on what it read (a merged customer or thread, a refused message, a
   * concurrent writer) goes through {@link ingest}, which decides it from scratch.
   */
  async ingestMany(items: readonly IngestItem[], options: IngestManyOptions): Promise<IngestItemResult[]> {
    const results: IngestItemResult[] = new Array<IngestItemResult>(items.length);
    let pending: Pending[] = [];
    items.forEach((item, index) => {
      try {
        const message = validateMessage(item.input, this.settings.maxMessageChars);
        const guard = inboundStream(message.tenantId, message.channel, message.channelMessageId);
        const identity = message.sender.identity;
        const identityOf = identity ? identityStream(message.tenantId, identity) : undefined;
        pending.push({
          index,
          item,
          message,
          guard,
          identityStream: identityOf,
          keys: orderingKeys(message, identityOf),
        });
      } catch (error) {
        results[index] = { ok: false, error };
      }
    });
    const failedKeys = new Set<string>();
    while (pending.length > 0) {
      const round: Pending[] = [];
      const later: Pending[] = [];
      const seen = new Set<string>();
      for (const p of pending) {
        // A message ingested before (by an earlier round, a re-send within the batch, or earlier).
        const known = this.ingested.get(p.guard);
        if (known) {
          results[p.index] = { ok: true, outcome: { result: known, replayed: true } };
          continue;
        }
        if (options.keepOrder && p.keys.some((k) => failedKeys.has(k))) {
          results[p.index] = { ok: false, error: new NotIngestedAfterFailure() };
          p.keys.forEach((k) => failedKeys.add(k));
          continue;
        }
        const blocked = round.length >= MAX_ROUND || p.keys.some((k) => seen.has(k));
        p.keys.forEach((k) => seen.add(k));
        (blocked ? later : round).push(p);
      }
      const fast = round.filter((p) => this.multi && fastPathable(p.message));
      const single = round.filter((p) => !fast.includes(p));
      const settle = (p: Pending) =>
        this.ingest(p.item.input, p.item.request, options).then(
          (outcome): IngestItemResult => ({ ok: true, outcome }),
          (error: unknown): IngestItemResult => ({ ok: false, error }),
        );
      const [viaBatch, viaSingle] = await Promise.all([
        this.ingestRound(fast, options, settle),
        Promise.all(single.map(settle)),
      ]);
      const settled: [Pending, IngestItemResult][] = [
        ...fast.map((p, i): [Pending, IngestItemResult] => [p, viaBatch[i]!]),
        ...single.map((p, i): [Pending, IngestItemResult] => [p, viaSingle[i]!]),
      ];
      for (const [p, result] of settled) {
        results[p.index] = result;
        if (!result.ok) p.keys.forEach((k) => failedKeys.add(k));
      }
      pending = later;
    }
    return results;
  }

  /**
   * The batch path for one round (distinct identities and threads, customer senders, no ticket
   * reference). Results in the order of `round`; items it cannot decide go through `fallback`, after
   * the round's locks are released.
   */
  private async ingestRound(
    round: Pending[],
    options: IngestOptions,
    fallback: (p: Pending) => Promise<IngestItemResult>,
  ): Promise<IngestItemResult[]> {
    const multi = this.multi;
    if (round.length === 0 || !multi) return Promise.all(round.map(fallback));
    // By item index: the later stages carry copies of the items, enriched.
    const results = new Map<number, IngestItemResult>();
    const deferred = new Set<number>();
    try {
      const candidates = await this.candidatesOf(multi, round, deferred);
      // The known customers' states (cached, brought up to date in one read) are read while their
      // locks are being taken, no longer before: one round trip less before the round is decided.
      // The read may still end before a lock is granted, as it always did; what it found is checked
      // under the locks, and the round's append checks the tickets' revisions.
      const states = loadStreams(
        multi,
        candidates.filter(ofKnownCustomer).map((c) => customerStream(c.customerId)),
        evolveCustomer,
        initialCustomerState,
        this.cache,
      );
      // Awaited under the locks; a failure to lock must not leave it unhandled.
      states.catch(() => undefined);
      // New customers' ids too: another ingestion that learns one from its identity stream right
      // after the commit must wait until this round's tickets are in the read model.
      const lockKeys = candidates.map((c) => `${c.message.tenantId}/customer/${c.customerId}`);
      // The known customers' continuity is read under their locks, sent with the locks' request
      // (one round trip less before the round is decided); new customers have none to read.
      const known = candidates.filter((c) => !c.fresh);
      const underLocks = async (answers: readonly ContinuityAnswer[]): Promise<bigint | undefined> => {
        const continuity = new Map(known.map((c, i) => [c.index, answers[i]!]));
        const resolved = this.admit(candidates, await states, deferred);
        const planned = await this.planRound(multi, resolved, deferred, continuity);
        if (planned.length === 0) return undefined;
        const changesContinuity = planned.some((p) => p.changesContinuity);
        // The round's rows are written with its append (when the store can) if someone would wait
        // for them: a caller that waits for the read model (no wait for the projection before the
        // answer, nor under the locks), or the next message of these customers when the round
        // changes continuity (a new ticket): waiting for the projection under the locks, behind
        // every other writer's events, held them about twice as long under load. The other rounds'
        // rows go through the projection, which writes those of many rounds at once.
        const writer =
          (options.awaitProjection || changesContinuity ? this.withReadModel : undefined) ?? multi;
        let appended: bigint | undefined;
        try {
          appended = await this.appendRound(writer, planned, results);
        } catch (error) {
          // Another writer got in between (or the message was planned before), or the read-model
          // rows written with the append ran into another transaction's: decide each message again
          // from scratch.
          const conflict =
            error instanceof WrongExpectedVersion ||
            error instanceof StreamDeleted ||
            error instanceof ReadModelConflict;
          if (!conflict) throw error;
          for (const p of planned) deferred.add(p.index);
          return undefined;
        }
        // Written with the append: readable already, by the next message of these customers too.
        if (writer !== multi) return undefined;
        // The next message of these customers must find what this round changed in the read model.
        if (changesContinuity) {
          await this.barrier.waitFor(appended);
          return undefined;
        }
        return appended;
      };
      const position =
        known.length === 0
          ? await this.locks.withLocks(lockKeys, () => underLocks([]))
          : await this.locks.withLocksThenRead(
              lockKeys,
              this.readModel.continuityOfManyRead(known.map(continuityRequestOf)),
              underLocks,
            );
      if (options.awaitProjection && position !== undefined) await this.barrier.waitFor(position);
    } catch (error) {
      // Nothing of the round is known to be written: each message is reported failed (a retry of
      // it completes or repeats the round's work idempotently).
      for (const p of round) if (!results.has(p.index)) results.set(p.index, { ok: false, error });
      return round.map((p) => results.get(p.index)!);
    }
    // Deferred items go one after another: two of them may be of one customer.
    for (const p of round)
      if (!results.has(p.index) && deferred.has(p.index)) results.set(p.index, await fallback(p));
    return round.map(
      (p) => results.get(p.index) ?? { ok: false, error: new Error('message left undecided') },
    );
  }

  /**
   * Whose messages these are. A customer's: known identities from memory or, in one read, from
   * their streams; a new identity gets a new customer, claimed with the round's append. Anyone
   * else's message (agent, bot, system) belongs to the customer of its thread's ticket (one read of
   * the read model, alongside). A thread unknown or merged away is deferred to the one-by-one path.
   * The customers' states are not read here: {@link admit} checks them under the locks.
   */
  private async candidatesOf(
    multi: MultiStreamEventStore,
    round: Pending[],
    deferred: Set<number>,
  ): Promise<Resolved[]> {
    const byThread = round.filter((p) => !writesAsCustomer(p.message));
    const [bound, threadTickets] = await Promise.all([
      this.bindingsOf(
        multi,
        round.filter((p) => writesAsCustomer(p.message)),
      ),
      this.readModel.threadTicketsOfMany(
        byThread.map((p) => ({
          tenantId: p.message.tenantId,
          channel: p.message.channel,
          threadId: p.message.channelThreadId!,
        })),
      ),
    ]);
    const candidates: Resolved[] = [];
    for (const p of round) {
      const context: CommandContext = {
        tenantId: p.message.tenantId,
        actor: this.senderActor(p.message),
        correlationId: p.item.request.correlationId,
        ...(p.item.request.causationId === undefined ? {} : { causationId: p.item.request.causationId }),
      };
      if (!writesAsCustomer(p.message)) {
        const ticket = threadTickets[byThread.indexOf(p)];
        if (!ticket || ticket.mergedInto !== undefined) {
          deferred.add(p.index);
          continue;
        }
        candidates.push(
          Object.assign({}, p, {
            identity: undefined,
            context,
            customerId: ticket.customerId,
            senderId: senderIdOf(p.message),
            threadTicketId: ticket.ticketId,
            fresh: false,
          }),
        );
        continue;
      }
      const identity = p.message.sender.identity!;
      const customerId = bound.get(p.identityStream!);
      if (customerId === undefined) {
        const fresh = this.ids.next();
        candidates.push(
          Object.assign({}, p, { identity, context, customerId: fresh, senderId: fresh, fresh: true }),
        );
        continue;
      }
      candidates.push(
        Object.assign({}, p, { identity, context, customerId, senderId: customerId, fresh: false }),
      );
    }
    return candidates;
  }

  /**
   * The candidates the batch path can decide, in round order: a known customer's message needs the
   * customer as read (neither merged nor half-created), and only the first message of each
   * customer goes in the round. The others are deferred to the one-by-one path.
   */
  private admit(
    candidates: Resolved[],
    states: Map<string, { state: CustomerState; revision: bigint }>,
    deferred: Set<number>,
  ): Resolved[] {
    const admitted: Resolved[] = [];
    const taken = new Set<string>();
    for (const c of candidates) {
      const state = ofKnownCustomer(c) ? states.get(customerStream(c.customerId))?.state : undefined;
      const unusable = ofKnownCustomer(c) && (!state || state.status === 'none' || state.mergedInto);
      if (unusable || taken.has(c.customerId)) {
        deferred.add(c.index);
        continue;
      }
      taken.add(c.customerId);
      admitted.push(c);
    }
    return admitted;
  }

  /** The customer of each identity of these customer messages: from memory, or from the identity streams in one read. */
  private async bindingsOf(multi: MultiStreamEventStore, messages: Pending[]): Promise<Map<string, string>> {
    const streams = messages.map((p) => p.identityStream!);
    const bound = new Map<string, string>();
    const misses: string[] = [];
    for (const stream of streams) {
      const customerId = this.identities.cachedBinding(stream);
      if (customerId === undefined) misses.push(stream);
      else bound.set(stream, customerId);
    }
    if (misses.length > 0) {
      const read = await multi.readStreams(misses.map((stream) => ({ stream })));
      for (const [stream, events] of read) {
        const first = events?.[0] as { data: IdentityBound['data'] } | undefined;
        if (first) {
          bound.set(stream, first.data.customerId);
          this.identities.learnBinding(stream, first.data.customerId);
        }
      }
    }
    return bound;
  }

  /**
   * Each message decided on its customer's continuity (read under the round's locks, by item index;
   * none for a new customer).
   */
  private async planRound(
    multi: MultiStreamEventStore,
    resolved: Resolved[],
    deferred: Set<number>,
    continuity: ReadonlyMap<number, ContinuityAnswer>,
  ): Promise<Planned[]> {
    const decided: (Resolved & Decided)[] = [];
    resolved.forEach((r) => {
      const answer = (r.fresh ? undefined : continuity.get(r.index)) ?? { openTickets: [] };
      // A thread whose ticket was merged away: the one-by-one path follows the merge.
      if (answer.thread?.mergedInto !== undefined && answer.thread.customerId === r.customerId) {
        deferred.add(r.index);
        return;
      }
      // Someone else's message whose thread moved since it was resolved: decided again one by one.
      if (r.threadTicketId !== undefined && answer.thread?.ticketId !== r.threadTicketId) {
        deferred.add(r.index);
        return;
      }
      const parties: Parties = { customerId: r.customerId, senderId: r.senderId, ambiguous: false };
      decided.push(Object.assign({}, r, this.decide(r.message, parties, undefined, answer, r.context)));
    });
    const tickets = decided
      .filter((d) => !d.plan.command.open)
      .map((d) => ticketStream(d.plan.command.ticketId));
    // A cached ticket is trusted: the round's append at its revision checks it.
    const ticketStates = await loadStreams(multi, tickets, evolveTicket, initialTicketState, this.cache, {
      trustCache: true,
    });
    const planned: Planned[] = [];
    for (const d of decided) {
      const { command } = d.plan;
      const cached = command.open ? undefined : ticketStates.get(ticketStream(command.ticketId));
      if (!command.open && !cached) {
        deferred.add(d.index);
        continue;
      }
      const ticketBefore = cached ?? { state: initialTicketState(), revision: 'no-stream' as const };
      let ticketEvents: TicketEvent[];
      try {
        ticketEvents = ticketDecider.decide(command, ticketBefore.state);
      } catch {
        // Closed or merged since the read model said otherwise: decided again one by one.
        deferred.add(d.index);
        continue;
      }
      if (ticketEvents.length === 0) {
        deferred.add(d.index);
        continue;
      }
      planned.push(Object.assign({}, d, { ticketBefore, ticketEvents }));
    }
    return planned;
  }

  /**
   * Every event of the round in one transaction: per message its identity claim and customer (when
   * new), its guard (`no-stream`: the claim of the channel message) and its ticket. Records the
   * results and the new stream states; returns the last position.
   */
  private async appendRound(
    writer: Pick<MultiStreamEventStore, 'appendToStreams'>,
    planned: Planned[],
    results: Map<number, IngestItemResult>,
  ): Promise<bigint> {
    const appends: StreamAppend[] = [];
    const customers = new Map<
      Planned,
      { events: CustomerEvent[]; at: number; identity: NonNullable<Resolved['identity']> }
    >();
    const tickets = new Map<Planned, number>();
    for (const p of planned) {
      const identity = p.fresh ? p.identity : undefined;
      if (identity) {
        const metadata = metadataOf(p.context, this.clock);
        const bind: IdentityBound = {
          type: 'IdentityBound',
          data: { tenantId: p.message.tenantId, identity: identity, customerId: p.customerId },
        };
        appends.push({
          stream: p.identityStream!,
          events: [{ type: bind.type, data: bind.data, metadata }],
          expectedRevision: 'no-stream',
        });
        const created = customerDecider.decide(
          {
            type: 'CreateCustomer',
            customerId: p.customerId,
            tenantId: p.message.tenantId,
            identity: identity,
            by: p.context.actor,
          },
          initialCustomerState(),
        );
        customers.set(p, { events: created, at: appends.length, identity });
        appends.push({
          stream: customerStream(p.customerId),
          events: created.map((e): NewEvent => ({ type: e.type, data: e.data, metadata })),
          expectedRevision: 'no-stream',
        });
      }
      appends.push({
        stream: p.guard,
        events: [{ type: 'MessageIngested', data: receiptOf(p.plan), metadata: p.plan.metadata }],
        expectedRevision: 'no-stream',
      });
      tickets.set(p, appends.length);
      appends.push({
        stream: ticketStream(p.plan.command.ticketId),
        events: p.ticketEvents.map((e): NewEvent => ({
          type: e.type,
          data: e.data,
          metadata: p.plan.metadata,
        })),
        expectedRevision: p.ticketBefore.revision,
      });
    }
    const written = await writer.appendToStreams(appends);
    let position = 0n;
    for (const r of written) if (r.position > position) position = r.position;
    for (const p of planned) {
      const customer = customers.get(p);
      if (customer) {
        this.identities.learnBinding(p.identityStream!, p.customerId);
        this.cache.set(
          customerStream(p.customerId),
          customer.events.reduce(evolveCustomer, initialCustomerState()),
          written[customer.at]!.nextExpectedRevision,
        );
      }
      const ticket = written[tickets.get(p)!]!;
      const after = p.ticketEvents.reduce(evolveTicket, p.ticketBefore.state);
      this.cache.set(ticketStream(p.plan.command.ticketId), after, ticket.nextExpectedRevision);
      const result = resultOf(receiptOf(p.plan), after);
      this.remember(p.guard, result);
      results.set(p.index, { ok: true, outcome: { result, replayed: false } });
    }
    return position;
  }

  private async referencedTicket(message: ValidMessage): Promise<TicketRow | undefined> {
    if (message.ticketId === undefined) return undefined;
    const ticket = await this.readModel.ticketForReference(message.tenantId, message.ticketId);
    if (!ticket) throw new UnknownTicketReference(message.ticketId);
    return ticket;
  }

  private async threadTicket(message: ValidMessage): Promise<TicketRow | undefined> {
    if (message.channelThreadId === undefined) return undefined;
    return this.readModel.ticketForThread(message.tenantId, message.channel, message.channelThreadId);
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
      return { customerId, senderId: senderIdOf(message), ambiguous: false };
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
    referenced: TicketRow | undefined,
    context: CommandContext,
  ): Promise<Decided> {
    const continuity = await this.readModel.continuityOf(
      message.tenantId,
      parties.customerId,
      message.channelThreadId === undefined
        ? undefined
        : { channel: message.channel, threadId: message.channelThreadId },
    );
    return this.decide(message, parties, referenced, continuity, context);
  }

  /** The continuity decision on what the read model said, as the plan that records it. */
  private decide(
    message: ValidMessage,
    parties: Parties,
    referenced: TicketRow | undefined,
    continuity: { thread?: TicketRow; openTickets: TicketRow[] },
    context: CommandContext,
  ): Decided {
    const { openTickets } = continuity;
    const thread =
      continuity.thread && continuity.thread.customerId === parties.customerId
        ? continuity.thread
        : undefined;
    const decision = chooseTicket({
      ...(referenced ? { referenced } : {}),
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
    const changesContinuity =
      decision.rule === 'new-ticket' ||
      (decision.rule === 'ticket-reference' && decision.reopen) ||
      openTickets.some((t) => t.ticketId !== ticketId) ||
      (message.channelThreadId !== undefined && thread?.ticketId !== ticketId);
    return {
      plan: {
        command,
        rule: decision.rule,
        metadata: metadataOf({ ...context, actor }, this.clock, ticketId),
      },
      changesContinuity,
    };
  }

  /**
   * Completes what the guard stream recorded (a repeat, or a crash between the two appends of a
   * plan) and, when that appended anything, waits for the read model as the original ingestion
   * would have. A receipt's message is in its ticket already: only its sequence is read. A replay
   * only when nothing had to be appended: the delivery that finishes a half-done ingestion is the
   * one that ingested the message.
   */
  private async complete(guard: string, record: GuardRecord): Promise<IngestOutcome> {
    let result: IngestResult;
    let replayed = true;
    if ('plan' in record) {
      const applied = await this.apply(record.plan, true);
      result = applied.result;
      replayed = applied.position === undefined;
    } else {
      const { receipt } = record;
      const { state } = await loadStream(
        this.store,
        ticketStream(receipt.ticketId),
        evolveTicket,
        initialTicketState(),
        this.cache,
      );
      result = resultOf(receipt, state);
    }
    this.remember(guard, result);
    return { result, replayed };
  }

  private remember(guard: string, result: IngestResult): void {
    // Bounded: forgetting only costs a repeat its reads of the store.
    if (this.ingested.size >= MAX_REMEMBERED_RESULTS) this.ingested.clear();
    this.ingested.set(guard, result);
  }

  /**
   * Applies a plan to its ticket (a no-op when it was applied before). Waits for the read model
   * when `changesContinuity`, or when the append opened or reopened the ticket.
   */
  private async apply(plan: IngestPlan, changesContinuity: boolean): Promise<Applied> {
    const { command } = plan;
    // A plan that opens a ticket names a ticket id generated for it: the stream is new.
    const executed = await (command.open ? executeOnNewStream : execute)(
      this.store,
      ticketStream(command.ticketId),
      ticketDecider,
      command,
      plan.metadata,
      this.cache,
    );
    const { position } = executed;
    const wait =
      position !== undefined &&
      (changesContinuity ||
        executed.events.some((e) => e.type === 'TicketOpened' || e.type === 'TicketReopened'));
    if (wait) await this.barrier.waitFor(position);
    return {
      result: resultOf(receiptOf(plan), executed.state),
      ...(position === undefined ? {} : { position }),
      projected: wait,
    };
  }

  private async readPlan(guard: string): Promise<{ record?: GuardRecord; revision: bigint | 'no-stream' }> {
    const { state, revision } = await loadStream<GuardRecord | undefined, MessagePlanned | MessageIngested>(
      this.store,
      guard,
      // The last record wins: a plan is replaced only when its ticket could not take the message.
      (_current, event) => (event.type === 'MessagePlanned' ? { plan: event.data } : { receipt: event.data }),
      undefined,
    );
    return { ...(state ? { record: state } : {}), revision };
  }

  private senderActor(message: ValidMessage): ActorRef {
    return { kind: message.sender.kind, id: senderIdOf(message) };
  }
}

/** Where a plan's message goes: what the batch path records on the guard. */
function receiptOf(plan: IngestPlan): IngestReceipt {
  const { command, rule } = plan;
  return {
    messageId: command.message.messageId,
    ticketId: command.ticketId,
    customerId: command.message.customerId,
    rule,
  };
}

/**
 * What an ingestion answers: where the message landed in the ticket `state` it left. One shape for
 * every path (the fields in one order too: a client may compare a request's and its retry's bodies
 * as text).
 */
function resultOf(receipt: IngestReceipt, state: TicketState): IngestResult {
  const { messageId, ticketId, customerId, rule } = receipt;
  const sequence = state.status === 'none' ? undefined : state.sequences.of(messageId);
  if (sequence === undefined) throw new Error(`message ${messageId} missing from its ticket`);
  return { messageId, ticketId, customerId, sequence, rule };
}

/** The id a message's sender goes by: its own id, else its identity's value, else its kind. */
function senderIdOf(message: ValidMessage): string {
  return message.sender.id ?? message.sender.identity?.value ?? message.sender.kind;
}

/**
 * Whether the batch path can take the message: it names no ticket, and it is either an identified
 * customer's or someone else's on a channel thread (whose ticket says whose message it is).
 */
function fastPathable(message: ValidMessage): boolean {
  return (
    message.ticketId === undefined && (writesAsCustomer(message) || message.channelThreadId !== undefined)
  );
}

/** A customer's message whose customer exists already: its state is read and checked before the round. */
function ofKnownCustomer(candidate: Resolved): boolean {
  return candidate.identity !== undefined && !candidate.fresh;
}

/** A customer's message with the identity that says which customer (the others are placed by thread). */
function writesAsCustomer(message: ValidMessage): boolean {
  return message.sender.kind === 'customer' && message.sender.identity !== undefined;
}

/**
 * The keys whose messages must be decided in order: the sender's identity (its stream) and the
 * channel thread.
 */
function orderingKeys(message: ValidMessage, identityStreamName: string | undefined): string[] {
  const keys: string[] = [];
  if (identityStreamName !== undefined) keys.push(identityStreamName);
  if (message.channelThreadId !== undefined)
    keys.push(`thread/${message.tenantId}/${message.channel}/${message.channelThreadId}`);
  return keys;
}

/** What continuity reads for a candidate's message: its customer's tickets and its thread's. */
function continuityRequestOf(c: Resolved): ContinuityRequest {
  return {
    tenantId: c.message.tenantId,
    customerId: c.customerId,
    ...(c.message.channelThreadId === undefined
      ? {}
      : { thread: { channel: c.message.channel, threadId: c.message.channelThreadId } }),
  };
}

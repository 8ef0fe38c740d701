import type { Actor, AppendResult, EventMetadata, StreamAppend } from '@handoff/event-store';
import type { ChannelKind } from '../domain/identity';
import type { OwnerRef } from '../domain/ticket.decider';

/** Injection tokens of the application's ports. */
export const CLOCK = Symbol('CLOCK');
export const ID_GENERATOR = Symbol('ID_GENERATOR');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const READ_MODEL_QUERIES = Symbol('READ_MODEL_QUERIES');
export const PROJECTION_BARRIER = Symbol('PROJECTION_BARRIER');
export const CUSTOMER_LOCKS = Symbol('CUSTOMER_LOCKS');
export const INGEST_SETTINGS = Symbol('INGEST_SETTINGS');

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new UUIDv7: time-ordered, so ids sort like the timeline. */
  next(): string;
}

export interface IngestSettings {
  /** Longest accepted message text, in characters (`MAX_MESSAGE_CHARS`). */
  maxMessageChars: number;
}

/** A ticket as the continuity rule sees it. */
export interface TicketRow {
  ticketId: string;
  tenantId: string;
  customerId: string;
  status: 'open' | 'closed';
  lastActivityAt: string;
}

/** One customer's continuity question: its open tickets, and which ticket holds the thread. */
export interface ContinuityRequest {
  tenantId: string;
  customerId: string;
  thread?: { channel: ChannelKind; threadId: string };
}

export interface ThreadRequest {
  tenantId: string;
  channel: ChannelKind;
  threadId: string;
}

export interface ContinuityAnswer {
  thread?: TicketRow & { mergedInto?: string };
  openTickets: TicketRow[];
}

/** The read-model queries the command side needs (all scoped by tenant). */
export interface ReadModelQueries {
  /** The ticket, or the ticket it was merged into (followed to the end); undefined when unknown. */
  ticketForReference(tenantId: string, ticketId: string): Promise<TicketRow | undefined>;
  /** The (surviving) ticket that last held this channel thread. */
  ticketForThread(tenantId: string, channel: ChannelKind, threadId: string): Promise<TicketRow | undefined>;
  openTicketsOf(tenantId: string, customerId: string): Promise<TicketRow[]>;
  /**
   * What ticket continuity reads for a message, in one round trip: the (surviving) ticket holding
   * the channel thread, if any, and the customer's open tickets (most recently active first).
   */
  continuityOf(
    tenantId: string,
    customerId: string,
    thread?: { channel: ChannelKind; threadId: string },
  ): Promise<{ thread?: TicketRow; openTickets: TicketRow[] }>;
  /**
   * {@link continuityOf} for many customers in one round trip, answers in request order, as a read
   * to run under the customers' locks ({@link CustomerLocks.withLocksThenRead}). The thread's ticket
   * is the one that holds the thread, not followed through merges (`mergedInto` says so).
   */
  continuityOfManyRead(requests: readonly ContinuityRequest[]): ReadUnderLocks<ContinuityAnswer[]>;
  /**
   * The ticket holding each channel thread, in one round trip, answers in request order (undefined
   * for an unknown thread); as is, not followed through merges (`mergedInto` says so).
   */
  threadTicketsOfMany(
    requests: readonly ThreadRequest[],
  ): Promise<(ContinuityAnswer['thread'] | undefined)[]>;
  ticketIdsOf(tenantId: string, customerId: string): Promise<string[]>;
  currentOwner(tenantId: string, ticketId: string): Promise<OwnerRef | undefined>;
  /** Handoffs of the ticket (and of tickets merged into it) requested before `at`, oldest first. */
  handoffsBefore(tenantId: string, ticketId: string, at: string): Promise<string[]>;
}

/** Read-your-writes: resolves once the read model holds the event at `position`. */
export interface ProjectionBarrier {
  waitFor(position: bigint): Promise<void>;
}

/**
 * A multi-stream append that also writes the read-model rows of the service's own events, in the
 * same transaction: they are readable when it returns, without waiting for the projection.
 */
export interface AppendWithReadModel {
  /** @throws ReadModelConflict when the rows ran into another transaction's: nothing was written. */
  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
}

/**
 * The read-model rows of an {@link AppendWithReadModel} ran into another transaction's (a deadlock
 * the database broke): the append was rolled back with them, and a new attempt may pass.
 */
export class ReadModelConflict extends Error {
  constructor(options: { cause: unknown }) {
    super('the read-model rows written with the append ran into another transaction', options);
  }
}

/** Serialises the continuity decisions of one customer, across every replica. */
export interface CustomerLocks {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Holds the locks of every key at once while `work` runs (taken in one order, so no deadlock). */
  withLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T>;
  /**
   * {@link withLocks} whose work starts with `read` answered: the read runs once every lock is
   * granted (it sees what the previous holders committed), and is sent with the locks' request.
   */
  withLocksThenRead<T, R>(
    keys: readonly string[],
    read: ReadUnderLocks<R>,
    work: (answer: R) => Promise<T>,
  ): Promise<T>;
}

/** A read-model read for {@link CustomerLocks.withLocksThenRead}: a statement and its answer. */
export interface ReadUnderLocks<R> {
  /** Prepared by name when set (a text that never changes). */
  name?: string;
  text: string;
  values: unknown[];
  answer(rows: readonly Record<string, unknown>[]): R;
}

/** Who asked, for the metadata of the events a command appends. */
export interface CommandContext {
  tenantId: string;
  actor: Actor;
  correlationId: string;
  causationId?: string;
}

export const metadataOf = (context: CommandContext, clock: Clock, ticketId?: string): EventMetadata => ({
  tenantId: context.tenantId,
  ...(ticketId === undefined ? {} : { ticketId }),
  correlationId: context.correlationId,
  ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
  actor: context.actor,
  occurredAt: clock.now().toISOString(),
});

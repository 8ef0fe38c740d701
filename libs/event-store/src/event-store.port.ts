/** A JSON value as stored: what `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Who caused an event. */
export type ActorKind = 'customer' | 'bot' | 'agent' | 'supervisor' | 'system' | 'integration';

/** The actor recorded with every event. */
export interface Actor {
  kind: ActorKind;
  id: string;
}

/** Metadata stored with every event (ARCHITECTURE.md §3). */
export interface EventMetadata {
  tenantId: string;
  ticketId?: string;
  correlationId: string;
  causationId?: string;
  actor: Actor;
  /** ISO-8601 timestamp of when the fact happened in the domain (not when it was stored). */
  occurredAt: string;
}

/** An event to append. */
export interface NewEvent<Data = unknown> {
  /** UUID; a UUIDv7 is generated when absent. Reusing the id makes a retried append idempotent. */
  eventId?: string;
  type: string;
  /**
   * Version of `data`'s shape. Defaults to the current version the store's upcaster registry knows
   * for `type`, or 1.
   */
  schemaVersion?: number;
  /** Any JSON value: plain objects, arrays, strings, finite numbers, booleans, null. */
  data: Data;
  metadata: EventMetadata;
}

/** An event as read back from the store. */
export interface RecordedEvent<Data = unknown> {
  eventId: string;
  type: string;
  /** The current schema version after upcasting (the stored one may be older). */
  schemaVersion: number;
  /** The current shape after upcasting. */
  data: Data;
  metadata: EventMetadata;
  streamName: string;
  /** 0-based position of the event in its stream. */
  revision: bigint;
  /** Position in the store's global log; a checkpoint for {@link EventStore.readAll} and subscriptions. */
  globalPosition: bigint;
  recordedAt: Date;
  /** Hash of the previous event of the stream, or {@link GENESIS_HASH} for the first one. */
  prevHash: string;
  /** SHA-256 (hex) of the canonical encoding of the stored event and `prevHash`. */
  hash: string;
}

/**
 * Optimistic concurrency for an append, as in EventStoreDB: `'any'` (no check), `'no-stream'` (the
 * stream has no events yet), `'exists'` (it has at least one), or the exact revision of its last event.
 */
export type ExpectedRevision = 'any' | 'no-stream' | 'exists' | bigint;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event of the batch: the expected revision of the next append. */
  nextExpectedRevision: bigint;
  /** Global position of the last event of the batch. */
  position: bigint;
}

export interface ReadStreamOptions {
  /** Default `'forwards'`. */
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; default the first (forwards) or the last (backwards) event. */
  fromRevision?: bigint;
  /** Positive integer; default all events. */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive checkpoint: events after this position (as delivered before). Default: from the start. */
  fromPosition?: bigint;
  /** Positive integer; default all events. */
  maxCount?: number;
}

/** Callbacks and start point of a catch-up subscription. */
export interface SubscriptionOptions {
  /** Exclusive checkpoint: deliver events after the event at this position. Default: from the start. */
  fromPosition?: bigint;
  /**
   * Called for each event, one at a time, in the store's global order; the next event waits for the
   * returned promise. Throwing stops the subscription and reports the error to `onError`.
   */
  onEvent: (event: RecordedEvent) => void | Promise<void>;
  /** The subscription stopped because of this error; resubscribe from your checkpoint to resume. */
  onError: (error: unknown) => void;
  /** Called once, when the subscription has delivered every event committed so far and goes live. */
  onCaughtUp?: () => void;
  /**
   * Live, read at most once per this many milliseconds: a commit sooner after the previous read
   * waits for the rest of the interval, so the commits of a burst are read and delivered together.
   * Fewer reads under load for a subscriber that can take up to that much more latency (a relay, a
   * projection nobody waits for: see {@link Subscription.readNow}). Default 0. A hint: adapters
   * that push events (EventStoreDB) deliver as they receive.
   */
  coalesceMs?: number;
}

export interface SubscribeToAllOptions extends SubscriptionOptions {
  /** Only deliver events whose stream name starts with one of these prefixes. */
  filter?: { streamPrefixes: string[] };
}

/** A running subscription. */
export interface Subscription {
  /** Stops delivery and resolves once no `onEvent` call is running. Do not await it inside `onEvent`. */
  stop(): Promise<void>;
  /**
   * For a subscription with `coalesceMs`: someone waits for what is committed now, so it is read at
   * once, without waiting for the rest of the interval. Absent where nothing is coalesced.
   */
  readNow?(): void;
}

/** Why {@link EventStore.verifyStream} rejected a stream's hash chain. */
export type ChainBreak = 'revision-gap' | 'prev-hash-mismatch' | 'hash-mismatch' | 'head-mismatch';

export type VerifyResult =
  | { ok: true; events: number; lastHash: string }
  | { ok: false; brokenAt: bigint; reason: ChainBreak; detail: string };

/**
 * The event store port, with EventStoreDB's semantics. Streams are named `<category>-<id>`.
 *
 * Global order ("commit order"): `readAll` and subscriptions deliver events in one total order that
 * only ever grows at its end, so a checkpoint never skips an event committed later by a transaction
 * that was in flight. It equals global-position order except between appends whose transactions
 * overlapped.
 */
export interface EventStore {
  /**
   * Appends the batch atomically. Retrying the same event ids at the same expected revision returns
   * the original result and writes nothing.
   * @throws WrongExpectedVersion, StreamDeleted, InvalidStreamName, InvalidAppend, EventTooLarge
   */
  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;

  /** @throws StreamNotFound, StreamDeleted, InvalidStreamName, InvalidArgument */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Events of every stream in global order; includes events of deleted streams. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** Catch-up subscription to every stream: past events from the checkpoint, then live ones. */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;

  /** Catch-up subscription to the streams `<category>-*`. @throws InvalidStreamName */
  subscribeToCategory(category: string, options: SubscriptionOptions): Subscription;

  /** Soft-deletes a stream: reads and appends then fail with StreamDeleted. @throws StreamNotFound, StreamDeleted */
  deleteStream(stream: string): Promise<void>;

  /** Recomputes the stream's hash chain from the stored events. @throws StreamNotFound, StreamDeleted */
  verifyStream(stream: string): Promise<VerifyResult>;

  /** Stops every subscription and releases the connections the store opened. */
  close(): Promise<void>;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  stream: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
}

/** One stream of a multi-stream read: its events from `fromRevision` (inclusive; default 0), forwards. */
export interface StreamRead {
  stream: string;
  fromRevision?: bigint;
}

/**
 * An event store that can append to several streams atomically and read several streams, each in one
 * round trip. Optional: the PostgreSQL and in-memory adapters have it, the EventStoreDB adapter has not.
 */
export interface MultiStreamEventStore extends EventStore {
  /**
   * Appends every stream's batch in one transaction: all or none. Results in request order.
   * Each stream's expectedRevision is checked as in `append`. A stream may appear only once.
   * Unlike `append`, a retried call is not recognised as a retry: it fails with WrongExpectedVersion.
   * @throws WrongExpectedVersion (the first stream, in request order, whose expectation failed; nothing written),
   *   StreamDeleted, InvalidStreamName, InvalidAppend, EventTooLarge, InvalidArgument (a stream twice, or an
   *   empty list is fine and returns [])
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  /**
   * Reads each stream forwards from its `fromRevision`, all in one round trip. A stream that does not
   * exist maps to `undefined`; a deleted stream throws StreamDeleted. A stream may appear only once
   * (InvalidArgument otherwise).
   */
  readStreams(reads: readonly StreamRead[]): Promise<Map<string, RecordedEvent[] | undefined>>;
}

/** Whether `store` has the multi-stream operations. */
export function supportsMultiStream(store: EventStore): store is MultiStreamEventStore {
  const candidate = store as Partial<MultiStreamEventStore>;
  return typeof candidate.appendToStreams === 'function' && typeof candidate.readStreams === 'function';
}

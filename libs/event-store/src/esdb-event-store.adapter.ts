import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type EventType,
  type JSONType,
  type Position,
  type ReadPosition,
  type ReadRevision,
  type RecordedEvent as EsdbRecordedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  chainEvents,
  DEFAULT_MAX_EVENT_BYTES,
  idempotentResult,
  prepareAppend,
  satisfiesExpectedRevision,
  type AppendRequest,
  type ChainedEvent,
  type ExistingEvent,
} from './append-preparation';
import {
  EventStoreError,
  EventTooLarge,
  InvalidAppend,
  InvalidArgument,
  StoreFailure,
  StreamDeleted,
  StreamNotFound,
  WrongExpectedVersion,
} from './errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionOptions,
  VerifyResult,
} from './event-store.port';
import { ChainVerifier, GENESIS_HASH, type ChainLink } from './hash-chain';
import { normaliseAllRead, normaliseStreamRead, normaliseSubscription } from './read-options';
import { assertCategory, assertStreamName } from './stream-name';
import type { UpcasterRegistry } from './upcasters';

/** Options of {@link EsdbEventStore}. */
export interface EsdbEventStoreOptions {
  /**
   * A client the caller owns (not disposed by `close()`), or a connection string for a client the
   * store owns: `esdb://`, `esdb+discover://`, or the KurrentDB spellings `kurrentdb://`, `kdb://`.
   */
  connection: EventStoreDBClient | string;
  /**
   * Isolates this store inside a shared node: streams are stored as `<namespace>/<stream>`, and
   * global reads and subscriptions only see the namespace's streams. The prefix is added on the way
   * in and stripped on the way out, so callers (and the hash chain) only ever see `<stream>`.
   * Letters, digits and `_`, starting with a letter. Default: none (the whole node).
   */
  namespace?: string;
  /** Limit of one event's serialised data + metadata, in bytes; default 1 MiB. */
  maxEventBytes?: number;
  /**
   * How often an append with expected revision `'any'` or `'exists'` re-reads the stream head and
   * tries again when a concurrent writer moved the head in between; default 8.
   */
  maxAppendAttempts?: number;
  upcasters?: UpcasterRegistry;
}

/** Reserved metadata members in which the adapter stores what EventStoreDB has no field for. */
export const CHAIN_METADATA_KEY = '$chain';
export const SCHEMA_VERSION_METADATA_KEY = '$schemaVersion';

/** What the adapter stores next to the caller's metadata. */
export interface StoredChainFields {
  schemaVersion: number;
  prevHash: string;
  hash: string;
}

const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/;
const READ_ALL_PAGE = 500;
/** EventStoreDB reports "no position" as the largest unsigned 64-bit value (or -1). */
const NO_POSITION = 2n ** 63n;
const CAUGHT_UP = Symbol('caught-up');

interface Checkpoint {
  checkpoint: bigint;
}

/** The last event of a stream, or none. */
interface StreamHead {
  revision: bigint;
  hash: string;
  eventId: string | undefined;
}

/**
 * The event store on EventStoreDB / KurrentDB (`@eventstore/db-client`).
 *
 * - Hash chain: the shared code ({@link chainEvents}) computes `prevHash`/`hash`; they are stored in
 *   the event metadata under `$chain`, the schema version under `$schemaVersion`. To chain, an append
 *   reads the stream head and appends at exactly that revision, so the server refuses the write if
 *   the head moved and the chain never forks. With `'any'`/`'exists'` the adapter then re-reads the
 *   head and retries (bounded); with an exact revision or `'no-stream'` the conflict is the caller's.
 * - Idempotency: as the server does it. A batch whose ids are already stored right after the expected
 *   revision returns the original result; for `'any'`/`'exists'` the retry is recognised when it is
 *   the tail of the stream (the server's own check for `any` is best-effort too).
 * - Global position: the commit position of the event in `$all`. Checkpoints are exclusive.
 * - deleteStream: a tombstone, which is what the port's delete means on EventStoreDB: reads and
 *   appends then fail with StreamDeleted and the name cannot be reused, while `$all` keeps the events
 *   (until a scavenge). EventStoreDB's own "soft delete" would let the next append recreate the stream
 *   and makes reads look like StreamNotFound, which is not the port's semantics.
 * - System streams and events (`$`-prefixed stream or type) are never delivered.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly maxEventBytes: number;
  private readonly maxAppendAttempts: number;
  private readonly upcasters: UpcasterRegistry | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(options: EsdbEventStoreOptions) {
    if (options.namespace !== undefined && !NAMESPACE.test(options.namespace)) {
      throw new RangeError(
        `namespace must match ${String(NAMESPACE)}, got ${JSON.stringify(options.namespace)}`,
      );
    }
    this.prefix = options.namespace === undefined ? '' : `${options.namespace}/`;
    if (typeof options.connection === 'string') {
      this.client = EventStoreDBClient.connectionString(toEsdbConnectionString(options.connection));
      this.ownsClient = true;
    } else {
      this.client = options.connection;
      this.ownsClient = false;
    }
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    const attempts = options.maxAppendAttempts ?? 8;
    if (!Number.isSafeInteger(attempts) || attempts < 1) {
      throw new RangeError(`maxAppendAttempts must be a positive integer, got ${attempts}`);
    }
    this.maxAppendAttempts = attempts;
    this.upcasters = options.upcasters;
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const request = prepareAppend(stream, events, options, {
      maxEventBytes: this.maxEventBytes,
      upcasters: this.upcasters,
    });
    const { expectedRevision } = request;
    const pinsHead = expectedRevision === 'any' || expectedRevision === 'exists';
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.readHead(stream);
      const current = head?.revision ?? -1n;
      if (!satisfiesExpectedRevision(expectedRevision, current)) {
        const retried = await this.findRetry(request, head);
        if (retried) return retried;
        throw new WrongExpectedVersion(stream, expectedRevision, current < 0n ? 'no-stream' : current);
      }
      if (pinsHead && head?.eventId !== undefined && request.events.some((e) => e.eventId === head.eventId)) {
        // The head is one of the batch's events: a retry of the last append, or a real duplicate.
        const retried = await this.findRetry(request, head);
        if (retried) return retried;
        throw duplicateId(request);
      }
      const chained = chainEvents(request, current, head?.hash ?? GENESIS_HASH);
      let conflict: { actual: bigint | 'no-stream' } | undefined;
      try {
        const result = await this.client.appendToStream(this.toServer(stream), chained.map(toEventData), {
          expectedRevision: esdbAppendExpectation(expectedRevision, current),
        });
        if (result.success) {
          // A retry the server recognised as idempotent reports no position: look it up.
          const position =
            knownPosition(result.position?.commit) ??
            (await this.positionOf(stream, result.nextExpectedRevision));
          return { nextExpectedRevision: result.nextExpectedRevision, position };
        }
        // Only with a caller-provided client built with throwOnAppendFailure=false.
        conflict = { actual: fromEsdbRevision(result.nextExpectedRevision) };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) {
          throw translateEsdbError(error, { stream, expectedRevision, events: chained });
        }
        conflict = { actual: fromEsdbRevision(error.actualVersion) };
      }
      // The head moved between our read and our append.
      if (!pinsHead || attempt >= this.maxAppendAttempts) {
        throw new WrongExpectedVersion(stream, expectedRevision, conflict.actual);
      }
      if (attempt > 1) await sleep(Math.random() * 5 * attempt);
    }
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const read = normaliseStreamRead(options);
    const fromRevision: ReadRevision = read.fromRevision ?? (read.forwards ? START : END);
    const events = await this.readRaw(stream, {
      direction: read.forwards ? FORWARDS : BACKWARDS,
      fromRevision,
      maxCount: read.maxCount,
    });
    return events.map((event) => this.present(event, undefined));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { fromPosition, maxCount } = normaliseAllRead(options);
    const found: RecordedEvent[] = [];
    let from: ReadPosition = fromPosition === 0n ? START : { commit: fromPosition, prepare: fromPosition };
    // Positions at or before this one were delivered already (checkpoints are exclusive).
    let after: bigint | undefined = fromPosition === 0n ? undefined : fromPosition;
    for (;;) {
      let page: AllStreamResolvedEvent[];
      try {
        page = await collect(
          this.client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: READ_ALL_PAGE }),
        );
      } catch (error) {
        throw translateEsdbError(error, {});
      }
      let last: Position | undefined;
      for (const resolved of page) {
        const event = resolved.event;
        if (!event) continue;
        last = event.position;
        const position = event.position.commit;
        if (after !== undefined && position <= after) continue;
        if (this.isOurs(event)) found.push(this.present(event, position));
        if (found.length >= maxCount) return found;
      }
      if (page.length < READ_ALL_PAGE || !last) return found;
      from = last;
      after = last.commit;
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const { fromPosition, streamPrefixes } = normaliseSubscription(options);
    const serverPrefixes =
      this.prefix === ''
        ? streamPrefixes
        : (streamPrefixes ?? ['']).map((prefix) => `${this.prefix}${prefix}`);
    const abort = new AbortController();
    let live: AllStreamSubscription | undefined;
    /** What the handler threw: reported as is, while the client's errors are translated. */
    let handlerFailure: { error: unknown } | undefined;
    const matches = (event: EsdbRecordedEvent): boolean =>
      this.isOurs(event) &&
      (!streamPrefixes || streamPrefixes.some((p) => this.fromServer(event.streamId).startsWith(p)));

    const run = async (): Promise<void> => {
      // The end of $all when the subscription starts: reaching it also means caught up (servers
      // older than 23.10 send no caught-up message).
      const head = await this.allHeadPosition();
      if (abort.signal.aborted) return;
      let announced = false;
      const announce = (): void => {
        if (announced || abort.signal.aborted) return;
        announced = true;
        options.onCaughtUp?.();
      };
      const subscription = this.client.subscribeToAll({
        fromPosition: fromPosition === 0n ? START : { commit: fromPosition, prepare: fromPosition },
        ...(serverPrefixes
          ? {
              filter: streamNameFilter({
                prefixes: serverPrefixes,
                checkpointReached: (sub, position) => {
                  // Pushed into the stream so it is handled after the events that precede it.
                  sub.push({ checkpoint: position.commit } satisfies Checkpoint);
                },
              }),
            }
          : {}),
      });
      live = subscription;
      // The client emits 'caughtUp' while transforming the server's message, before we have read the
      // events buffered ahead of it: a marker pushed now is read right after them.
      subscription.on('caughtUp', () => subscription.push(CAUGHT_UP));
      try {
        if (head < 0n || (fromPosition !== 0n && head <= fromPosition)) announce();
        for await (const item of subscription as AsyncIterable<unknown>) {
          if (abort.signal.aborted) return;
          if (item === CAUGHT_UP) {
            announce();
            continue;
          }
          if (isCheckpoint(item)) {
            if (item.checkpoint >= head) announce();
            continue;
          }
          const event = (item as AllStreamResolvedEvent).event;
          if (!event) continue;
          const position = event.position.commit;
          if (fromPosition !== 0n && position <= fromPosition) continue;
          if (matches(event)) {
            const recorded = this.present(event, position);
            try {
              await options.onEvent(recorded);
            } catch (error) {
              handlerFailure = { error };
              throw error;
            }
          }
          if (position >= head) announce();
        }
        if (!abort.signal.aborted) throw new StoreFailure('the EventStoreDB subscription ended');
      } finally {
        await closeSubscription(subscription);
      }
    };
    const done = run().catch((error: unknown) => {
      if (abort.signal.aborted) return;
      options.onError(handlerFailure ? handlerFailure.error : translateEsdbError(error, {}));
    });
    const subscription: Subscription = {
      stop: async () => {
        this.subscriptions.delete(subscription);
        abort.abort();
        if (live) await closeSubscription(live);
        await done;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  subscribeToCategory(category: string, options: SubscriptionOptions): Subscription {
    assertCategory(category);
    return this.subscribeToAll({ ...options, filter: { streamPrefixes: [`${category}-`] } });
  }

  async deleteStream(stream: string): Promise<void> {
    assertStreamName(stream);
    if (!(await this.readHeadEvent(stream))) throw new StreamNotFound(stream);
    try {
      await this.client.tombstoneStream(this.toServer(stream));
    } catch (error) {
      throw translateEsdbError(error, { stream });
    }
  }

  async verifyStream(stream: string): Promise<VerifyResult> {
    assertStreamName(stream);
    const headEvent = await this.readHeadEvent(stream);
    if (!headEvent) throw new StreamNotFound(stream);
    const head = this.chainLink(headEvent);
    const verifier = new ChainVerifier(stream);
    // Up to the head read above, so a concurrent append cannot look like tampering.
    const read = this.client.readStream(this.toServer(stream), {
      direction: FORWARDS,
      fromRevision: START,
      maxCount: headEvent.revision + 1n,
    });
    let broken = false;
    try {
      for await (const resolved of read) {
        // Verify the stored payload: no upcasting here.
        if (resolved.event && !verifier.next(this.chainLink(resolved.event))) {
          broken = true;
          break;
        }
      }
    } catch (error) {
      throw translateEsdbError(error, { stream });
    } finally {
      if (broken) await read.cancel().catch(() => undefined);
    }
    return verifier.finish({ revision: head.revision, lastHash: head.hash });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsClient) await this.client.dispose();
  }

  /** The last event of the stream, or undefined when it has none. @throws StreamDeleted */
  private async readHead(stream: string): Promise<StreamHead | undefined> {
    const event = await this.readHeadEvent(stream);
    if (!event) return undefined;
    const stored = decodeStoredMetadata(event.metadata);
    if (!stored) throw foreignEvent(stream, event);
    return { revision: event.revision, hash: stored.hash, eventId: event.id.toLowerCase() };
  }

  private async readHeadEvent(stream: string): Promise<EsdbRecordedEvent | undefined> {
    try {
      const [event] = await this.readRaw(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      return event;
    } catch (error) {
      if (error instanceof StreamNotFound) return undefined;
      throw error;
    }
  }

  /**
   * EventStoreDB's idempotency check: are the batch's ids stored right after the expected revision
   * (or, for 'any'/'exists', at the tail of the stream)? Then the original result.
   */
  private async findRetry(
    request: AppendRequest,
    head: StreamHead | undefined,
  ): Promise<AppendResult | undefined> {
    if (!head) return undefined;
    const { expectedRevision, stream } = request;
    const count = request.events.length;
    let stored: EsdbRecordedEvent[];
    if (expectedRevision === 'any' || expectedRevision === 'exists') {
      stored = (
        await this.readRaw(stream, { direction: BACKWARDS, fromRevision: END, maxCount: count })
      ).reverse();
    } else {
      const after = expectedRevision === 'no-stream' ? -1n : expectedRevision;
      if (head.revision <= after) return undefined;
      stored = await this.readRaw(stream, { direction: FORWARDS, fromRevision: after + 1n, maxCount: count });
    }
    const ids = new Set(request.events.map((event) => event.eventId));
    const existing: ExistingEvent[] = stored
      .filter((event) => ids.has(event.id.toLowerCase()))
      .map((event) => ({
        eventId: event.id.toLowerCase(),
        streamName: stream,
        revision: event.revision,
        globalPosition: this.positionFrom(event, undefined),
      }));
    return existing.length > 0 ? idempotentResult(request, existing) : undefined;
  }

  private async positionOf(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readRaw(stream, { direction: FORWARDS, fromRevision: revision, maxCount: 1 });
    if (!event) throw new StoreFailure(`event ${revision} of "${stream}" is missing after the append`);
    return this.positionFrom(event, undefined);
  }

  /** The commit position of the $all head, or -1 when $all is empty. */
  private async allHeadPosition(): Promise<bigint> {
    const [last] = await collect(
      this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }),
    );
    return last?.event?.position.commit ?? -1n;
  }

  /** @throws StreamNotFound, StreamDeleted, StoreFailure */
  private async readRaw(
    stream: string,
    options: {
      direction: typeof FORWARDS | typeof BACKWARDS;
      fromRevision: ReadRevision;
      maxCount: number | bigint;
    },
  ): Promise<EsdbRecordedEvent[]> {
    try {
      const resolved = await collect(this.client.readStream(this.toServer(stream), options));
      return resolved.flatMap((item) => (item.event ? [item.event] : []));
    } catch (error) {
      throw translateEsdbError(error, { stream });
    }
  }

  /** The stored event as the port shows it, upcast to the current schema. */
  private present(event: EsdbRecordedEvent, position: bigint | undefined): RecordedEvent {
    const streamName = this.fromServer(event.streamId);
    const stored = event.isJson ? decodeStoredMetadata(event.metadata) : undefined;
    if (!stored) throw foreignEvent(streamName, event);
    const recorded: RecordedEvent = {
      eventId: event.id.toLowerCase(),
      type: event.type,
      schemaVersion: stored.schemaVersion,
      data: event.data,
      metadata: stored.metadata,
      streamName,
      revision: event.revision,
      globalPosition: this.positionFrom(event, position),
      recordedAt: event.created,
      prevHash: stored.prevHash,
      hash: stored.hash,
    };
    return this.upcasters ? this.upcasters.upcast(recorded) : recorded;
  }

  /** The stored event as the verifier sees it; a malformed one simply fails verification. */
  private chainLink(event: EsdbRecordedEvent): ChainLink {
    const stored = event.isJson ? decodeStoredMetadata(event.metadata) : undefined;
    return {
      streamName: this.fromServer(event.streamId),
      revision: event.revision,
      eventId: event.id.toLowerCase(),
      type: event.type,
      schemaVersion: stored?.schemaVersion ?? 0,
      data: event.data,
      metadata: stored?.metadata ?? event.metadata,
      prevHash: stored?.prevHash ?? '',
      hash: stored?.hash ?? '',
    };
  }

  private positionFrom(event: EsdbRecordedEvent, known: bigint | undefined): bigint {
    const position = known ?? knownPosition(event.position?.commit);
    if (position === undefined) {
      throw new StoreFailure(
        `EventStoreDB returned no global position for "${event.streamId}" (server 22.6 or newer needed)`,
      );
    }
    return position;
  }

  /** An event of this store: in its namespace, not a system stream or event. */
  private isOurs(event: EsdbRecordedEvent): boolean {
    return (
      !event.type.startsWith('$') && !event.streamId.startsWith('$') && event.streamId.startsWith(this.prefix)
    );
  }

  private toServer(stream: string): string {
    return `${this.prefix}${stream}`;
  }

  private fromServer(serverName: string): string {
    return serverName.startsWith(this.prefix) ? serverName.slice(this.prefix.length) : serverName;
  }
}

/**
 * The client (6.x) only parses `esdb://` and `esdb+discover://`; KurrentDB documents `kurrentdb://`
 * (and `kdb://`, `kurrent://`), which mean the same.
 */
export function toEsdbConnectionString(connectionString: string): string {
  return connectionString
    .trim()
    .replace(/^(?:kurrentdb|kurrent|kdb)(\+discover)?:\/\//i, (_match, discover?: string) =>
      discover ? 'esdb+discover://' : 'esdb://',
    );
}

/**
 * The expected revision sent to the server. An exact expectation (a revision or 'no-stream') is sent
 * as is, so the server's own idempotency applies; 'any' and 'exists' are pinned to the head the
 * adapter read (`currentRevision`, -1 for none), because the events were chained onto that head.
 */
export function esdbAppendExpectation(
  expected: ExpectedRevision,
  currentRevision: bigint,
): AppendExpectedRevision {
  if (expected === 'no-stream') return NO_STREAM;
  if (typeof expected === 'bigint') return expected;
  return currentRevision < 0n ? NO_STREAM : currentRevision;
}

/** A revision the server reports (`'no_stream'`, or -1 in some replies) as the port's. */
export function fromEsdbRevision(revision: CurrentRevision): bigint | 'no-stream' {
  return revision === NO_STREAM || revision < 0n ? 'no-stream' : revision;
}

/** Context for {@link translateEsdbError}: what the failed call was about. */
export interface EsdbErrorContext {
  stream?: string;
  expectedRevision?: ExpectedRevision;
  /** The batch of an append, to report sizes. */
  events?: readonly Pick<ChainedEvent, 'eventId' | 'dataJson' | 'metadataJson' | 'prevHash' | 'hash'>[];
}

/** Vendor errors become the port's errors here, and nowhere else. */
export function translateEsdbError(error: unknown, context: EsdbErrorContext): Error {
  if (error instanceof EventStoreError) return error;
  const stream = context.stream ?? '$all';
  if (error instanceof WrongExpectedVersionError) {
    return new WrongExpectedVersion(
      stream,
      context.expectedRevision ?? fromPortExpectation(error.expectedVersion),
      fromEsdbRevision(error.actualVersion),
    );
  }
  if (error instanceof StreamNotFoundError) return new StreamNotFound(stream);
  if (error instanceof StreamDeletedError) return new StreamDeleted(stream);
  if (error instanceof MaxAppendSizeExceededError) {
    // The server's limit is on the whole append request; report the batch's largest event.
    const sizes = (context.events ?? []).map((event) => ({
      eventId: event.eventId,
      size:
        Buffer.byteLength(event.dataJson, 'utf8') +
        Buffer.byteLength(event.metadataJson, 'utf8') +
        event.prevHash.length +
        event.hash.length,
    }));
    const largest = sizes.reduce<{ eventId: string; size: number } | undefined>(
      (max, item) => (max && max.size >= item.size ? max : item),
      undefined,
    );
    const total = sizes.reduce((sum, item) => sum + item.size, 0);
    return new EventTooLarge(stream, largest?.eventId ?? '', total, error.maxAppendSize);
  }
  if (error instanceof InvalidArgumentError) {
    return new InvalidArgument('request', error.errorMessage || error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StoreFailure(`EventStoreDB error: ${message}`, { cause: error });
}

/** The metadata stored in EventStoreDB: the caller's, plus the chain and schema version. */
export function encodeStoredMetadata(
  metadata: EventMetadata,
  fields: StoredChainFields,
): Record<string, unknown> {
  return {
    ...metadata,
    [SCHEMA_VERSION_METADATA_KEY]: fields.schemaVersion,
    [CHAIN_METADATA_KEY]: { prevHash: fields.prevHash, hash: fields.hash },
  };
}

/** The caller's metadata and the stored fields, or undefined when this adapter did not write it. */
export function decodeStoredMetadata(
  stored: unknown,
): (StoredChainFields & { metadata: EventMetadata }) | undefined {
  if (
    typeof stored !== 'object' ||
    stored === null ||
    Array.isArray(stored) ||
    stored instanceof Uint8Array
  ) {
    return undefined;
  }
  const {
    [CHAIN_METADATA_KEY]: chain,
    [SCHEMA_VERSION_METADATA_KEY]: schemaVersion,
    ...metadata
  } = stored as Record<string, unknown>;
  if (typeof schemaVersion !== 'number' || !Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    return undefined;
  }
  if (typeof chain !== 'object' || chain === null) return undefined;
  const { prevHash, hash } = chain as Record<string, unknown>;
  if (typeof prevHash !== 'string' || !HASH.test(prevHash) || typeof hash !== 'string' || !HASH.test(hash)) {
    return undefined;
  }
  return { metadata: metadata as unknown as EventMetadata, schemaVersion, prevHash, hash };
}

function toEventData(event: ChainedEvent): EventData {
  return {
    id: event.eventId,
    contentType: 'application/json',
    type: event.type,
    // Any JSON value: the client writes JSON.stringify(data), and the port allows numbers, null, ...
    // The checked canonical JSON, parsed: what the hash covers, with nothing the caller changed since.
    data: JSON.parse(event.dataJson) as JSONType,
    metadata: encodeStoredMetadata(JSON.parse(event.metadataJson) as EventMetadata, event) as JSONType,
  } satisfies EventData<EventType>;
}

function fromPortExpectation(expected: AppendExpectedRevision): ExpectedRevision {
  if (typeof expected === 'bigint') return expected;
  return expected === NO_STREAM ? 'no-stream' : expected === 'stream_exists' ? 'exists' : 'any';
}

function knownPosition(commit: bigint | undefined): bigint | undefined {
  return commit === undefined || commit < 0n || commit >= NO_POSITION ? undefined : commit;
}

function duplicateId(request: AppendRequest): InvalidAppend {
  return new InvalidAppend(
    request.stream,
    'duplicate-event-id',
    'an event id of the batch is already stored (not a retry of the same batch)',
  );
}

function foreignEvent(stream: string, event: EsdbRecordedEvent): StoreFailure {
  return new StoreFailure(
    `event ${event.id} (revision ${event.revision}) of "${stream}" was not written by the event store ` +
      `adapter: it has no JSON data or no ${CHAIN_METADATA_KEY}/${SCHEMA_VERSION_METADATA_KEY} metadata`,
  );
}

function isCheckpoint(item: unknown): item is Checkpoint {
  return typeof item === 'object' && item !== null && typeof (item as Checkpoint).checkpoint === 'bigint';
}

async function collect<E>(read: StreamingRead<E>): Promise<E[]> {
  const items: E[] = [];
  for await (const item of read) items.push(item);
  return items;
}

async function closeSubscription(subscription: AllStreamSubscription): Promise<void> {
  await subscription.unsubscribe().catch(() => undefined);
  // Ends a pending `for await` even if the cancelled gRPC call never ends the stream.
  subscription.destroy();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

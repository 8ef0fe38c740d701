import {
  assertExpectedRevision,
  chainEvents,
  DEFAULT_MAX_EVENT_BYTES,
  idempotentResult,
  prepareAppend,
  prepareStreamAppends,
  type AppendRequest,
  type ExistingEvent,
} from './append-preparation';
import { ChangeSignal, startCatchUpSubscription } from './catch-up-subscription';
import { InvalidAppend, StreamDeleted, StreamNotFound } from './errors';
import type {
  AppendOptions,
  AppendResult,
  MultiStreamEventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamRead,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionOptions,
  VerifyResult,
} from './event-store.port';
import { ChainVerifier, GENESIS_HASH } from './hash-chain';
import {
  normaliseAllRead,
  normaliseStreamRead,
  normaliseStreamReads,
  normaliseSubscription,
} from './read-options';
import { assertCategory, assertStreamName } from './stream-name';
import type { UpcasterRegistry } from './upcasters';

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Limit of one event's serialised data + metadata, in bytes; default 1 MiB. */
  maxEventBytes?: number;
  upcasters?: UpcasterRegistry;
}

/** Stored as JSON text, so that no caller can mutate what the hash covers. */
interface StoredEvent extends RecordedEvent {
  dataJson: string;
  metadataJson: string;
}

interface StreamState {
  revision: bigint;
  lastHash: string;
  deleted: boolean;
  events: StoredEvent[];
}

/**
 * The event store in memory, for unit tests of deciders and handlers only: same semantics, same
 * validation and the same hash chain as the durable adapters, nothing survives the process.
 */
export class InMemoryEventStore implements MultiStreamEventStore {
  private readonly streams = new Map<string, StreamState>();
  private readonly log: StoredEvent[] = [];
  private readonly byId = new Map<string, StoredEvent>();
  private readonly signal = new ChangeSignal();
  private readonly subscriptions = new Set<Subscription>();
  private readonly maxEventBytes: number;
  private readonly upcasters: UpcasterRegistry | undefined;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.upcasters = options.upcasters;
  }

  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    // Everything below is synchronous, so the batch is atomic without any lock.
    return Promise.resolve().then(() => {
      const request = prepareAppend(stream, events, options, {
        maxEventBytes: this.maxEventBytes,
        upcasters: this.upcasters,
      });
      const state = this.streams.get(stream);
      if (state?.deleted) throw new StreamDeleted(stream);
      const existing: ExistingEvent[] = request.events.flatMap((event) => {
        const found = this.byId.get(event.eventId);
        return found ? [found] : [];
      });
      if (existing.length > 0) {
        const retried = idempotentResult(request, existing);
        if (retried) return retried;
      }
      const currentRevision = state?.revision ?? -1n;
      assertExpectedRevision(request, currentRevision);
      if (existing.length > 0) {
        throw new InvalidAppend(
          stream,
          'duplicate-event-id',
          `event ${existing[0]?.eventId} is already stored`,
        );
      }
      const result = this.write(request, state);
      this.signal.notify();
      return result;
    });
  }

  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    // Synchronous below as in append: every stream is checked before the first event is written.
    return Promise.resolve().then(() => {
      const requests = prepareStreamAppends(appends, {
        maxEventBytes: this.maxEventBytes,
        upcasters: this.upcasters,
      });
      const states = requests.map((request) => {
        const state = this.streams.get(request.stream);
        if (state?.deleted) throw new StreamDeleted(request.stream);
        assertExpectedRevision(request, state?.revision ?? -1n);
        return state;
      });
      for (const request of requests) {
        const stored = request.events.find((event) => this.byId.has(event.eventId));
        if (stored) {
          throw new InvalidAppend(
            request.stream,
            'duplicate-event-id',
            `event ${stored.eventId} is already stored`,
          );
        }
      }
      const results = requests.map((request, index) => this.write(request, states[index]));
      if (results.length > 0) this.signal.notify();
      return results;
    });
  }

  readStreams(reads: readonly StreamRead[]): Promise<Map<string, RecordedEvent[] | undefined>> {
    return Promise.resolve().then(() => {
      const result = new Map<string, RecordedEvent[] | undefined>();
      for (const { stream, fromRevision } of normaliseStreamReads(reads)) {
        const state = this.streams.get(stream);
        if (state?.deleted) throw new StreamDeleted(stream);
        result.set(
          stream,
          state?.events.filter((event) => event.revision >= fromRevision).map((event) => this.present(event)),
        );
      }
      return result;
    });
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return Promise.resolve().then(() => {
      assertStreamName(stream);
      const read = normaliseStreamRead(options);
      const state = this.liveStream(stream);
      const events = read.forwards
        ? state.events.filter((event) => event.revision >= (read.fromRevision ?? 0n))
        : state.events
            .filter((event) => read.fromRevision === undefined || event.revision <= read.fromRevision)
            .reverse();
      return events.slice(0, read.maxCount).map((event) => this.present(event));
    });
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return Promise.resolve().then(() => {
      const { fromPosition, maxCount } = normaliseAllRead(options);
      return this.log
        .slice(Number(fromPosition), Number(fromPosition) + maxCount)
        .map((event) => this.present(event));
    });
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const { fromPosition, streamPrefixes } = normaliseSubscription(options);
    const matches = (event: StoredEvent): boolean =>
      !streamPrefixes || streamPrefixes.some((prefix) => event.streamName.startsWith(prefix));
    const subscription = startCatchUpSubscription(
      {
        start: () => Promise.resolve(fromPosition),
        fetch: (cursor: bigint) => {
          const batch = this.log.slice(Number(cursor), Number(cursor) + 500);
          const last = batch[batch.length - 1];
          return Promise.resolve({
            events: batch.filter(matches).map((event) => this.present(event)),
            cursor: last?.globalPosition ?? cursor,
            caughtUp: batch.length < 500,
          });
        },
        signal: this.signal,
        pollIntervalMs: 1_000,
      },
      options,
    );
    return this.track(subscription);
  }

  subscribeToCategory(category: string, options: SubscriptionOptions): Subscription {
    assertCategory(category);
    return this.subscribeToAll({ ...options, filter: { streamPrefixes: [`${category}-`] } });
  }

  deleteStream(stream: string): Promise<void> {
    return Promise.resolve().then(() => {
      assertStreamName(stream);
      this.liveStream(stream).deleted = true;
    });
  }

  verifyStream(stream: string): Promise<VerifyResult> {
    return Promise.resolve().then(() => {
      assertStreamName(stream);
      const state = this.liveStream(stream);
      const verifier = new ChainVerifier(stream);
      for (const event of state.events) {
        if (!verifier.next(event)) break;
      }
      return verifier.finish({ revision: state.revision, lastHash: state.lastHash });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  /** Chains a checked request onto its stream (`state`, undefined for a new one) and the global log. */
  private write(request: AppendRequest, state: StreamState | undefined): AppendResult {
    const recordedAt = new Date();
    const recorded = chainEvents(request, state?.revision ?? -1n, state?.lastHash ?? GENESIS_HASH).map(
      (event, index): StoredEvent => ({
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        // Parsed from the stored JSON: the store owns its copy, whatever the caller does next.
        data: JSON.parse(event.dataJson) as unknown,
        metadata: JSON.parse(event.metadataJson) as RecordedEvent['metadata'],
        dataJson: event.dataJson,
        metadataJson: event.metadataJson,
        streamName: request.stream,
        revision: event.revision,
        globalPosition: BigInt(this.log.length + index + 1),
        recordedAt,
        prevHash: event.prevHash,
        hash: event.hash,
      }),
    );
    const last = recorded[recorded.length - 1];
    if (!last) {
      throw new InvalidAppend(request.stream, 'empty-batch', 'an append needs at least one event');
    }
    const target = state ?? { revision: -1n, lastHash: GENESIS_HASH, deleted: false, events: [] };
    for (const event of recorded) {
      target.events.push(event);
      this.log.push(event);
      this.byId.set(event.eventId, event);
    }
    target.revision = last.revision;
    target.lastHash = last.hash;
    this.streams.set(request.stream, target);
    return { nextExpectedRevision: last.revision, position: last.globalPosition };
  }

  private liveStream(stream: string): StreamState {
    const state = this.streams.get(stream);
    if (!state) throw new StreamNotFound(stream);
    if (state.deleted) throw new StreamDeleted(stream);
    return state;
  }

  /** A copy for the caller, upcast to the current schema; the stored event stays as written. */
  private present(event: StoredEvent): RecordedEvent {
    const { dataJson, metadataJson, ...stored } = event;
    const copy: RecordedEvent = {
      ...stored,
      data: JSON.parse(dataJson) as unknown,
      metadata: JSON.parse(metadataJson) as RecordedEvent['metadata'],
      recordedAt: new Date(stored.recordedAt.getTime()),
    };
    return this.upcasters ? this.upcasters.upcast(copy) : copy;
  }

  private track(subscription: Subscription): Subscription {
    this.subscriptions.add(subscription);
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
      readNow: () => subscription.readNow?.(),
    };
  }
}

import type { EventStore, RecordedEvent, Subscription } from '@handoff/event-store';
import type { CompressionTypes, Kafka, Message, Producer, RetryOptions } from 'kafkajs';
import {
  installBatchChecksum,
  installRecordEncoder,
  installVarIntWriter,
  keyHashPartitioner,
} from './kafkajs-fast-paths';
import type { RelayCheckpointStore } from './relay-checkpoint-store';

// kafkajs takes its record encoder and its batch checksum once, when the process' first produce
// (or, for the checksum, fetch) request loads their modules: installed when this module is loaded,
// before any client of the process sends (a process that produced before keeps kafkajs' own).
installRecordEncoder();
installBatchChecksum();

/** A Kafka record as the relay produces it (CloudEvents binary mode: attributes in `ce_*` headers). */
export interface RelayMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Maps one internal event to the public events it means: none (an internal-only fact), one, or
 * several. Ids must be deterministic: the internal `eventId` for a 1:1 mapping,
 * {@link deriveEventId} for 1:n, so a republished event carries the same `ce_id`.
 */
export type PublicEventMapper<Envelope> = (event: RecordedEvent) => readonly Envelope[];

/** Why the relay stopped publishing and when it tries again. */
export interface RelayFailure {
  error: unknown;
  /** Consecutive failures so far, 1 for the first. */
  attempt: number;
  /** The relay restarts from its checkpoint after this delay (unless stopped). */
  restartInMs: number;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions<Envelope> {
  /** Stable name: the key of the checkpoint row. Two relays must never share one. */
  name: string;
  store: EventStore;
  /** The service's own categories; the relay follows the streams `<category>-*` of all of them. */
  categories: readonly string[];
  map: PublicEventMapper<Envelope>;
  /** The Kafka record of a public event (e.g. `toKafkaMessage` of `@handoff/contracts`). */
  encode: (envelope: Envelope) => RelayMessage;
  /** The topic of a public event: one topic for every event, or chosen per event. */
  topic: string | ((envelope: Envelope) => string);
  /** A configured client (brokers, TLS, SASL); the relay creates and owns its producer. */
  kafka: Kafka;
  checkpoints: RelayCheckpointStore;
  /** Internal events per Kafka batch; default 500. */
  batchSize?: number;
  /** How long a partial batch waits for more events before it is sent; default 5 ms. */
  lingerMs?: number;
  /**
   * Live, the relay reads at most once per this many milliseconds (the subscription's
   * `coalesceMs`): under load one read, one Kafka request and one checkpoint for several appends
   * instead of each, at up to that much more publication latency. Default 0.
   */
  coalesceMs?: number;
  /** Restart delays after a failure: doubling from `initialMs` up to `maxMs`; default 200 ms → 10 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** Retries of the kafkajs producer within one send, before the relay treats it as a failure. */
  producerRetry?: RetryOptions;
  compression?: CompressionTypes;
  /** Every failure, before the restart: log or count it here. */
  onError?: (failure: RelayFailure) => void;
}

/** A snapshot of the relay's counters. */
export interface RelayMetrics {
  status: 'stopped' | 'starting' | 'running' | 'backing-off' | 'stopping';
  /** Kafka messages acknowledged since this instance was created (duplicates after a restart count). */
  published: number;
  /** Internal events whose batch was acknowledged and checkpointed. */
  relayed: number;
  /** The saved checkpoint (global position), `undefined` before the first one. */
  checkpoint: bigint | undefined;
  /** Global position of the last event the subscription delivered. */
  lastSeenPosition: bigint | undefined;
  /**
   * `lastSeenPosition − checkpoint`, in global positions, never negative: what the relay has seen
   * but Kafka has not acknowledged yet. The port has no head-position query, so events committed
   * but not yet delivered by the subscription are not counted, and positions of other categories'
   * events inside the range are (positions are not event counts).
   */
  lag: bigint;
  /** Failures since this instance was created. */
  failures: number;
}

interface Batch {
  messages: Map<string, Message[]>;
  messageCount: number;
  events: number;
  lastPosition: bigint | undefined;
}

const emptyBatch = (): Batch => ({
  messages: new Map(),
  messageCount: 0,
  events: 0,
  lastPosition: undefined,
});

/**
 * The outbox relay (ARCHITECTURE.md §5): a checkpointed catch-up subscription to the service's own
 * streams that publishes the mapped public events and advances the checkpoint only after Kafka
 * acknowledged them.
 *
 * - At-least-once: the checkpoint is saved after `acks=-1` for the whole batch, so a crash at any
 *   point republishes at most the unacknowledged tail, with the same ids.
 * - Order per ticket: one batch in flight at a time and an idempotent producer with one request in
 *   flight per broker, so a retried request cannot overtake the next one; the key is the ticket id.
 * - Back-pressure: the subscription awaits `onEvent`, which waits for Kafka once a full batch waits
 *   behind the one in flight. A partial batch goes out after `lingerMs` when idle, or as soon as the
 *   batch in flight is acknowledged.
 * - Failures (Kafka, store, mapper) stop the subscription, are reported to `onError`, and the relay
 *   restarts from its checkpoint with bounded exponential backoff until {@link stop}.
 */
export class OutboxRelay<Envelope> {
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };

  private status: RelayMetrics['status'] = 'stopped';
  private published = 0;
  private relayed = 0;
  private failures = 0;
  /** Reset by every acknowledged batch, so the backoff grows only while nothing gets through. */
  private consecutiveFailures = 0;
  private checkpoint: bigint | undefined;
  private lastSeenPosition: bigint | undefined;

  private loop: Promise<void> | undefined;
  private stopRequested = new AbortController();
  // Per run of the subscription:
  private pending = emptyBatch();
  /** The batch in flight; settles (never rejects) once acknowledged and checkpointed, or failed. */
  private inFlight: Promise<void> | undefined;
  /** Checkpoint saves, chained in batch order; rejects once a save failed (the run then fails). */
  private saving: Promise<void> = Promise.resolve();
  private lingerTimer: NodeJS.Timeout | undefined;
  private runFailure: { error: unknown } | undefined;
  private failRun: (() => void) | undefined;
  private producer: Producer | undefined;

  constructor(private readonly options: OutboxRelayOptions<Envelope>) {
    this.batchSize = options.batchSize ?? 500;
    this.lingerMs = options.lingerMs ?? 5;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`relay ${options.name}: batchSize must be a positive integer`);
    }
    if (options.categories.length === 0) {
      throw new RangeError(`relay ${options.name}: at least one category is needed`);
    }
    // Each record's varints (a dozen headers' lengths among them) written in place.
    installVarIntWriter();
  }

  /** Starts relaying in the background; a no-op when already running. */
  start(): void {
    if (this.loop) return;
    this.stopRequested = new AbortController();
    this.loop = this.runUntilStopped().finally(() => {
      this.status = 'stopped';
      this.loop = undefined;
    });
  }

  /**
   * Stops: lets the event being handled finish, sends and checkpoints what was accumulated, and
   * resolves once idle with the producer disconnected. A failing final send is reported to `onError`
   * and leaves the checkpoint where Kafka's acknowledgements put it.
   */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.status = 'stopping';
    this.stopRequested.abort();
    await loop;
  }

  /** Counters for health checks and metrics. */
  metrics(): RelayMetrics {
    const seen = this.lastSeenPosition;
    const saved = this.checkpoint ?? 0n;
    const lag = seen !== undefined && seen > saved ? seen - saved : 0n;
    return {
      status: this.status,
      published: this.published,
      relayed: this.relayed,
      checkpoint: this.checkpoint,
      lastSeenPosition: this.lastSeenPosition,
      lag,
      failures: this.failures,
    };
  }

  private async runUntilStopped(): Promise<void> {
    this.consecutiveFailures = 0;
    while (!this.stopRequested.signal.aborted) {
      this.status = 'starting';
      try {
        await this.runOnce();
        return; // stopped on request
      } catch (error) {
        const attempt = (this.consecutiveFailures += 1);
        this.failures += 1;
        const restartInMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (attempt - 1));
        this.report({ error, attempt, restartInMs });
        if (this.stopRequested.signal.aborted) return;
        this.status = 'backing-off';
        await abortableDelay(restartInMs, this.stopRequested.signal);
      }
    }
  }

  /** One subscription from the saved checkpoint; resolves when stopped, rejects on the first failure. */
  private async runOnce(): Promise<void> {
    this.pending = emptyBatch();
    this.inFlight = undefined;
    this.saving = Promise.resolve();
    this.runFailure = undefined;
    const failed = new Promise<void>((resolve) => (this.failRun = resolve));
    let subscription: Subscription | undefined;
    try {
      this.producer = this.options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // kafkajs' default partitioning (every key where kafkajs puts it), without its allocations.
        createPartitioner: keyHashPartitioner,
        ...(this.options.producerRetry ? { retry: this.options.producerRetry } : {}),
      });
      await this.producer.connect();
      this.checkpoint = await this.options.checkpoints.load(this.options.name);
      if (this.stopRequested.signal.aborted) return;
      subscription = this.options.store.subscribeToAll({
        ...(this.checkpoint === undefined ? {} : { fromPosition: this.checkpoint }),
        filter: { streamPrefixes: this.options.categories.map((category) => `${category}-`) },
        onEvent: (event) => this.onEvent(event),
        onError: (error) => this.fail(error),
        ...(this.options.coalesceMs === undefined ? {} : { coalesceMs: this.options.coalesceMs }),
      });
      this.status = 'running';
      const stopped = new Promise<void>((resolve) => {
        if (this.stopRequested.signal.aborted) resolve();
        this.stopRequested.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([failed, stopped]);

      await subscription.stop();
      subscription = undefined;
      // Stopped on request: publish what was accumulated so the next start has nothing to redo.
      await this.drain();
    } finally {
      this.clearLinger();
      await subscription?.stop().catch(() => undefined);
      // A batch that failed or was never sent is dropped: the next run reads it again from the checkpoint.
      await this.settle();
      this.pending = emptyBatch();
      this.failRun = undefined;
      const producer = this.producer;
      this.producer = undefined;
      await producer?.disconnect().catch(() => undefined);
    }
    this.throwIfFailed();
  }

  /** Synchronous unless the subscription must wait for Kafka (back-pressure): no promise per event. */
  private onEvent(event: RecordedEvent): void | Promise<void> {
    this.throwIfFailed();
    this.lastSeenPosition = event.globalPosition;
    const batch = this.pending;
    for (const envelope of this.options.map(event)) {
      const topic =
        typeof this.options.topic === 'string' ? this.options.topic : this.options.topic(envelope);
      const { key, value, headers } = this.options.encode(envelope);
      let messages = batch.messages.get(topic);
      if (!messages) batch.messages.set(topic, (messages = []));
      messages.push({ key, value, headers });
      batch.messageCount += 1;
    }
    batch.events += 1;
    batch.lastPosition = event.globalPosition;
    if (batch.events >= this.batchSize) {
      this.startSend();
      // Back-pressure: with a full batch waiting behind the one in flight, the subscription delivers
      // the next event only once Kafka acknowledged that one, so at most two batches are in memory.
      if (this.pending.events >= this.batchSize && this.inFlight) return this.awaitRoom();
      this.throwIfFailed();
    } else if (!this.inFlight && !this.lingerTimer) {
      // Linger only when idle: while a batch is in flight, events accumulate and go out as soon as
      // it is acknowledged (they have waited long enough), so small batches never queue up.
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.startSend();
      }, this.lingerMs);
    }
  }

  private async awaitRoom(): Promise<void> {
    while (this.pending.events >= this.batchSize) {
      const inFlight = this.inFlight;
      if (!inFlight) break;
      await inFlight;
    }
    this.throwIfFailed();
  }

  /**
   * Sends the accumulated batch unless one is in flight (then the acknowledgement sends it). One
   * batch at a time: a batch is never sent past a failed one.
   */
  private startSend(): void {
    this.clearLinger();
    if (this.inFlight || this.pending.events === 0 || this.runFailure) return;
    const batch = this.pending;
    this.pending = emptyBatch();
    this.inFlight = this.publish(batch).then(
      () => {
        this.inFlight = undefined;
        this.startSend();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.fail(error);
      },
    );
  }

  /** Sends and acknowledges everything accumulated; rethrows the run's failure. */
  private async drain(): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      const inFlight = this.inFlight;
      if (inFlight) await inFlight;
      else if (this.pending.events > 0) this.startSend();
      else break;
    }
    await this.saving;
    this.throwIfFailed();
  }

  /** Waits until no batch is in flight (a completed batch may start the next one) and no save runs. */
  private async settle(): Promise<void> {
    for (let inFlight = this.inFlight; inFlight; inFlight = this.inFlight) await inFlight;
    await this.saving.catch(() => undefined);
  }

  // A method rather than an inline check: the failure is set by callbacks while this awaits.
  private throwIfFailed(): void {
    if (this.runFailure) throw this.runFailure.error;
  }

  private fail(error: unknown): void {
    this.runFailure ??= { error };
    this.failRun?.();
  }

  private async publish(batch: Batch): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error(`relay ${this.options.name}: producer is not connected`);
    if (batch.messageCount > 0) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...batch.messages].map(([topic, messages]) => ({ topic, messages })),
        ...(this.options.compression === undefined ? {} : { compression: this.options.compression }),
      });
    }
    this.published += batch.messageCount;
    this.consecutiveFailures = 0;
    const position = batch.lastPosition;
    if (position === undefined) return;
    // Saved after this batch's acknowledgement and after the previous save, but without holding up
    // the next send: the checkpoint write overlaps the next batch's round trip to Kafka.
    this.saving = this.saving.then(async () => {
      await this.options.checkpoints.save(this.options.name, position);
      this.checkpoint = position;
      this.relayed += batch.events;
    });
    this.saving.catch((error: unknown) => this.fail(error));
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private report(failure: RelayFailure): void {
    try {
      this.options.onError?.(failure);
    } catch {
      // A throwing error handler must not kill the restart loop.
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

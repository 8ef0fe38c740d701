import { type PublicEventEnvelope } from '@handoff/contracts';
import { type Pool } from 'pg';
import { type RetryPolicy } from './backoff';
import { type ConsumerMetrics } from './consumer-metrics';

/** How `prepareBatch` says it completed an event: its work done now, or found done before. */
export type PreparedOutcome = 'applied' | 'duplicate';

/** Settings of one consumer service: its Kafka client and group, its database, its policies. */
export interface ConsumerRuntimeOptions {
  /** Kafka client id (logged by the broker). */
  clientId: string;
  brokers: string[];
  /** Consumer group; also the `consumer_group` of `processed_messages` and the `dlq_consumer_group` header. */
  groupId: string;
  /**
   * The service's database; the runtime borrows one client per batch transaction (per message with
   * `batch: false`), so size it for at least `partitionsConsumedConcurrently` plus the handlers' own use.
   */
  pool: Pool;
  /** Schema of `processed_messages` (the service's own schema). Default `public`. */
  schema?: string;
  /** Whether a tenant exists; a message for any other tenant is poison (`unknown-tenant`). */
  knownTenant: (tenantId: string) => boolean | Promise<boolean>;
  /** Handler retries; defaults to {@link DEFAULT_RETRY_POLICY}. */
  retry?: Partial<RetryPolicy>;
  /**
   * Largest message (key + value + headers) the consumer accepts; anything larger is dead-lettered
   * as `oversize`. Also sizes the fetch (`maxBytesPerPartition`). Default 1 MiB.
   */
  maxMessageBytes?: number;
  /** Where a group without committed offsets starts. Default true: a read model wants every event. */
  fromBeginning?: boolean;
  /** Partitions processed at once by one instance (order stays per partition). Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Batch mode, the default. The messages kafkajs fetched for one partition (at most
   * {@link maxBatchMessages} at a time) are applied in ONE database transaction: each is validated
   * first (poison goes to the dead-letter topic as usual), the ids already processed are looked up
   * in one query (those messages are skipped as duplicates), the `@EventPattern` handler is called
   * for each message in offset order and `MessageProcessor.process` runs `apply` on the shared
   * transaction, then every applied id is recorded in one multi-row insert, the transaction commits,
   * and only then are the offsets resolved and committed. Per message that costs only the
   * handler's own statements, against four round trips on the per-message path.
   *
   * When anything fails inside a batch (a handler error, transient or not, a dead-letter write, the
   * commit, or an id recorded meanwhile by another instance), the batch transaction is rolled back,
   * so nothing of it stays applied, and that batch is processed again message by message on the
   * per-message path, with its retries, backoff and dead letters: one poison message never blocks the
   * rest and none is applied twice. Consequences for handlers: within a batch, `process` returns
   * `applied` before the transaction commits, and after a rollback the handler is called again for
   * the same message, so anything a handler does outside `tx` must be idempotent (as it must be for
   * redelivery anyway); row locks taken by `apply` are held until the batch commits.
   *
   * `false`: one transaction per message (kafkajs `eachMessage`).
   */
  batch?: boolean;
  /** Most messages applied in one batch transaction (see {@link batch}). Default 500. */
  maxBatchMessages?: number;
  /**
   * Batch mode: called for each batch transaction's messages once they are validated and checked
   * for duplicates, before the handlers run: the valid events not processed before, in offset
   * order. For work a handler does outside the transaction (idempotently) that is cheaper for many
   * messages at once; the handlers then run and find that work done. It may return the ids of the
   * events whose whole work it did: their handlers are not called, and they count as applied (their
   * ids recorded with the batch, unless the topic is in {@link unrecordedTopics}); as a map, each id
   * with `'duplicate'` for an event it found done before (a redelivery), counted as such. Should
   * the batch roll back, every message goes through its handler on the per-message path as usual.
   * A failure is logged and left to the handlers, which retry or park each message as usual.
   */
  prepareBatch?: (
    topic: string,
    events: readonly PublicEventEnvelope[],
  ) => Promise<void | ReadonlySet<string> | ReadonlyMap<string, PreparedOutcome>>;
  /**
   * Topics whose handlers are idempotent on their own (they write through the event store behind a
   * guard of their own, say): the runtime neither looks their message ids up in `processed_messages`
   * nor records them there, on either path. A redelivered message reaches the handler again, which
   * must then change nothing (and may resolve to `'duplicate'` to have it counted as one).
   * Everything else (validation, transactions, retries, dead letters, offsets after the commit)
   * stays as it is.
   */
  unrecordedTopics?: readonly string[];
  /** Counters to fill; a fresh {@link ConsumerMetrics} when omitted. */
  metrics?: ConsumerMetrics;
}

/** Nest injection token of the {@link ConsumerRuntimeOptions}. */
export const CONSUMER_RUNTIME_OPTIONS = Symbol('CONSUMER_RUNTIME_OPTIONS');

/** Default {@link ConsumerRuntimeOptions.maxMessageBytes}: 1 MiB, Kafka's default `max.message.bytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Default {@link ConsumerRuntimeOptions.maxBatchMessages}. */
export const DEFAULT_MAX_BATCH_MESSAGES = 500;

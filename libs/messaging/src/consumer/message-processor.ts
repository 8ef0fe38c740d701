import 'reflect-metadata';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type KafkaContext, RpcException } from '@nestjs/microservices';
import {
  deadLetterTopic,
  fromKafkaMessage,
  InvalidCloudEventMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { type PoolClient } from 'pg';
import { assertRetryPolicy, backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff';
import {
  DatabaseUnavailableError,
  DeadLetterFailedError,
  isConnectionError,
  isTransientError,
  PoisonMessageError,
} from './consumer-errors';
import { ConsumerMetrics } from './consumer-metrics';
import {
  CONSUMER_RUNTIME_OPTIONS,
  type ConsumerRuntimeOptions,
  DEFAULT_MAX_BATCH_MESSAGES,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PreparedOutcome,
} from './consumer-runtime.options';
import {
  assertSchemaName,
  beginAndMarkProcessed,
  ensureProcessedMessagesTable,
  findProcessed,
  markProcessed,
  type ProcessedMessage,
} from './processed-messages.store';

/**
 * Applies one validated public event inside the transaction that also records its `ce_id`. A
 * handler that is idempotent on its own (an `unrecordedTopics` topic) may resolve to `'duplicate'`
 * when the event changed nothing (a redelivery it recognised): the message then counts as a
 * duplicate, not as applied.
 */
export type ApplyEvent = (event: PublicEventEnvelope, tx: PoolClient) => Promise<void | 'duplicate'>;

/** What `prepareBatch` completed: each event id with its outcome (a set: every one applied). */
type Completed = ReadonlySet<string> | ReadonlyMap<string, PreparedOutcome>;

/**
 * `dlq_reason` codes the runtime sets itself; contract rejections use the contract's reason code
 * (`malformed-json`, `missing-header`, `unknown-type`, `schema-violation`, `missing-key`, …).
 */
export const DeadLetterReasons = {
  oversize: 'oversize',
  unknownTenant: 'unknown-tenant',
  /** A transient error that was still failing after every attempt. */
  retriesExhausted: 'retries-exhausted',
  /** Any other handler error that persisted through every attempt. */
  handlerError: 'handler-error',
} as const;

/** What became of one message. */
export type ProcessOutcome =
  | { status: 'applied'; attempts: number }
  | { status: 'duplicate'; attempts: number }
  | { status: 'dead-lettered'; reason: string; attempts: number };

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A message as kafkajs delivers it (and as {@link RawKafkaParser} hands it on). */
export interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  offset: string;
  headers?: RawHeaders;
}

/** What validation made of a message: its event, or why it is poison. */
type Verdict = { valid: true; event: PublicEventEnvelope } | { valid: false; reason: string; error: string };

/** One message of a batch. */
interface BatchEntry {
  verdict: Verdict;
  /** Whether `consumed` was counted for this delivery (a fallback must not count it again). */
  consumedCounted: boolean;
  /** What became of it inside the batch transaction; counted only once that commits. */
  outcome?: 'applied' | 'duplicate';
  /** The dead letter already written for it: a fallback after a rollback must not write it twice. */
  deadLettered?: ProcessOutcome;
  /**
   * The error its `apply` threw inside the batch transaction: the fallback counts it as the first of
   * the message's attempts, so a batch costs a failing message no extra handler call.
   */
  failedInBatch?: { error: unknown };
}

/**
 * The batch a handler call runs in, found by {@link MessageProcessor.process} from the message's topic,
 * partition and offset while the handler runs.
 */
interface BatchScope {
  topic: string;
  partition: number;
  /** By offset. */
  entries: Map<string, BatchEntry>;
  /** `transaction`: apply on {@link client} inside the batch transaction; `per-message`: the fallback. */
  mode: 'transaction' | 'per-message';
  /** Client of the batch transaction (present when the batch holds a valid message). */
  client?: PoolClient;
  /** Whether BEGIN was sent on {@link client} (lazily, at the first message to apply). */
  began: boolean;
  /** Ids recorded before the batch, and ids applied in the batch transaction so far. */
  processed: Set<string>;
  /** What to record in `processed_messages` at commit. */
  applied: ProcessedMessage[];
  /** The first error inside the batch transaction: the batch is then rolled back. */
  failure?: { error: unknown };
}

/** What the transport lends {@link MessageProcessor.processBatch} of kafkajs' `eachBatch` payload. */
export interface BatchControl {
  /** Marks `offset` (and everything before it on the partition) as processed. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** Commits the resolved offsets if kafkajs' auto-commit interval or threshold says so. */
  commitOffsetsIfNecessary(): Promise<void>;
  /** False once the consumer stops or the partition was revoked or seeked: process no further. */
  isActive(): boolean;
}

/** Raised when a heartbeat inside a batch transaction fails (e.g. a rebalance): roll back, redeliver. */
class BatchHeartbeatFailed extends Error {
  constructor(readonly error: unknown) {
    super('heartbeat failed inside a batch');
  }
}

/**
 * What `process` throws inside a batch transaction when applying failed: the batch is then rolled
 * back and replayed message by message, where the error is retried or parked like any other. An
 * `RpcException`, so Nest's exception filter passes it on without logging it as an error (the runtime
 * logs the rollback as a warning); the original error is its `cause`.
 */
export class BatchRolledBackException extends RpcException {
  override readonly name = 'BatchRolledBackException';
  constructor(cause: unknown) {
    super(`batch rolled back, to be replayed message by message: ${errorMessage(cause)}`);
    this.cause = cause;
  }
}

/** Key of a partition's batches in {@link MessageProcessor}'s registry of running ones. */
const partitionKey = (topic: string, partition: number) => `${partition}\u0000${topic}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The building block of every `@EventPattern` handler: validates the raw message against the public
 * contract and the tenant list, applies it with its `ce_id` in one transaction (idempotent on
 * redelivery), retries failures with a bounded backoff and parks poison in `<topic>.dlq` with the
 * original bytes and the error in `dlq_*` headers. It returns normally for everything it has applied,
 * skipped or parked, so the offset commits; it throws only when parking or the database itself failed,
 * so the message is redelivered.
 *
 * In batch mode (the default, see {@link ConsumerRuntimeOptions.batch}) the transport calls the
 * handlers of a fetched batch inside {@link processBatch}, and `process` detects it: it applies on the
 * batch's shared transaction (one commit, one multi-row insert of the processed ids for the whole
 * batch) and, should anything fail, the batch is rolled back and replayed message by message through
 * the same handlers on the per-message path. Handlers are written the same way in both modes.
 *
 * @example
 * ```ts
 * @EventPattern(eventsTopic('ownership'))
 * onOwnership(@Ctx() ctx: KafkaContext) {
 *   return this.processor.process(ctx, (event, tx) => this.projection.apply(event, tx));
 * }
 * ```
 */
@Injectable()
export class MessageProcessor implements OnModuleInit {
  private readonly logger = new Logger(MessageProcessor.name);
  private readonly schema: string;
  private readonly retry: RetryPolicy;
  private readonly maxMessageBytes: number;
  private readonly maxBatchMessages: number;
  private readonly unrecorded: ReadonlySet<string>;
  /**
   * The batches whose handlers are running, by topic and partition (kafkajs hands a partition one
   * batch at a time; a list all the same, so an overlap could never mix two batches up). Not an
   * AsyncLocalStorage: its promise hooks make every promise of the process costlier, which took about a
   * tenth off a service's throughput.
   */
  private readonly running = new Map<string, BatchScope[]>();

  constructor(
    @Inject(CONSUMER_RUNTIME_OPTIONS) private readonly options: ConsumerRuntimeOptions,
    @Inject(ConsumerMetrics) private readonly metrics: ConsumerMetrics,
  ) {
    this.schema = options.schema ?? 'public';
    assertSchemaName(this.schema);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    assertRetryPolicy(this.retry);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxBatchMessages = options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
    this.unrecorded = new Set(options.unrecordedTopics ?? []);
    if (!Number.isInteger(this.maxBatchMessages) || this.maxBatchMessages < 1)
      throw new RangeError(`maxBatchMessages must be an integer ≥ 1, got ${this.maxBatchMessages}`);
  }

  /** Whether the transport should hand whole batches to {@link processBatch} (option `batch`). */
  get batchMode(): boolean {
    return this.options.batch !== false;
  }

  /** Creates `processed_messages` before the first message can arrive. */
  async onModuleInit(): Promise<void> {
    await ensureProcessedMessagesTable(this.options.pool, this.schema);
  }

  /**
   * Processes the message of `ctx` with `apply`; see the class comment for what it guarantees.
   *
   * Inside a batch transaction it resolves to `applied` once `apply` succeeded on the batch's
   * transaction, before that commits; if `apply` fails it throws a {@link BatchRolledBackException}
   * (let it propagate): the batch is rolled back and the handler is called again for each of its
   * messages, this time on the per-message path, where retries and dead letters happen as usual.
   */
  async process(ctx: KafkaContext, apply: ApplyEvent): Promise<ProcessOutcome> {
    const message = ctx.getMessage() as unknown as RawMessage;
    const scope = this.batchOf(ctx.getTopic(), ctx.getPartition(), message.offset);
    if (scope) {
      const entry = scope.entries.get(message.offset);
      if (entry) {
        if (!entry.consumedCounted) this.metrics.countConsumed();
        entry.consumedCounted = true;
        return scope.mode === 'transaction'
          ? this.processInBatch(ctx, scope, entry, apply)
          : this.settle(ctx, message, entry.verdict, apply, entry);
      }
      if (scope.mode === 'transaction') {
        // Another transaction beside the batch's could wait on the batch's own locks: refuse.
        const error = new Error(
          `process() called with ${ctx.getTopic()}/${ctx.getPartition()}@${message.offset}, which is not in the batch being processed`,
        );
        scope.failure ??= { error };
        throw error;
      }
    }
    this.metrics.countConsumed();
    return this.settle(ctx, message, await this.validate(message), apply);
  }

  /**
   * Batch mode, called by the transport ({@link RawKafkaServer}) with kafkajs' `eachBatch` payload:
   * processes the messages of one partition, at most `maxBatchMessages` per database transaction,
   * calling `handle` (the Nest `@EventPattern` handler) for each in offset order. An offset is
   * resolved only once its message is committed in the database or parked; it throws (and the rest is
   * redelivered) exactly when the per-message path would.
   *
   * @internal
   */
  async processBatch<M extends RawMessage>(
    batch: { topic: string; partition: number; messages: readonly M[] },
    handle: (message: M) => Promise<unknown>,
    control: BatchControl,
  ): Promise<void> {
    for (let start = 0; start < batch.messages.length; start += this.maxBatchMessages) {
      if (!control.isActive()) return;
      const chunk = batch.messages.slice(start, start + this.maxBatchMessages);
      await this.processChunk(batch.topic, batch.partition, chunk, handle, control);
      await control.commitOffsetsIfNecessary();
    }
  }

  /**
   * The `prepareBatch` option's call for a chunk: its fresh valid events; never throws for it.
   * Resolves to the ids of the events it completed (none when it failed), with their outcomes.
   */
  private async prepare(topic: string, scope: BatchScope, control: BatchControl): Promise<Completed> {
    const none = new Set<string>();
    const prepareBatch = this.options.prepareBatch;
    if (!prepareBatch || !control.isActive()) return none;
    const events: PublicEventEnvelope[] = [];
    for (const { verdict } of scope.entries.values())
      if (verdict.valid && !scope.processed.has(verdict.event.id)) events.push(verdict.event);
    if (events.length === 0) return none;
    let completed: Completed = none;
    try {
      completed = (await prepareBatch(topic, events)) ?? none;
    } catch (error) {
      this.logger.warn(
        `${topic}/${scope.partition}: prepareBatch failed, left to the handlers: ${errorMessage(error)}`,
      );
    }
    await control.heartbeat().catch((error: unknown) => {
      throw new BatchHeartbeatFailed(error);
    });
    return completed;
  }

  /** Runs a handler call of `scope`'s batch, during which {@link process} finds the batch. */
  private async handleIn(scope: BatchScope, call: () => Promise<unknown>): Promise<void> {
    const key = partitionKey(scope.topic, scope.partition);
    let scopes = this.running.get(key);
    if (!scopes) this.running.set(key, (scopes = []));
    scopes.push(scope);
    try {
      await call();
    } finally {
      scopes.splice(scopes.indexOf(scope), 1);
      if (scopes.length === 0) this.running.delete(key);
    }
  }

  /**
   * The running batch of the partition that holds the message at `offset`; otherwise the latest
   * running batch of the partition (which then refuses the message), or none.
   */
  private batchOf(topic: string, partition: number, offset: string): BatchScope | undefined {
    const scopes = this.running.get(partitionKey(topic, partition));
    if (!scopes) return undefined;
    return scopes.find((scope) => scope.entries.has(offset)) ?? scopes[scopes.length - 1];
  }

  private async processChunk<M extends RawMessage>(
    topic: string,
    partition: number,
    chunk: readonly M[],
    handle: (message: M) => Promise<unknown>,
    control: BatchControl,
  ): Promise<void> {
    // 1. Validate everything first (the tenant check once per tenant and batch).
    const tenants = new Map<string, Promise<boolean>>();
    const entries = new Map<string, BatchEntry>();
    for (const message of chunk)
      entries.set(message.offset, { verdict: await this.validate(message, tenants), consumedCounted: false });
    const ids = new Set<string>();
    for (const { verdict } of entries.values()) if (verdict.valid) ids.add(verdict.event.id);

    const scope: BatchScope = {
      topic,
      partition,
      entries,
      mode: 'transaction',
      began: false,
      processed: new Set(),
      applied: [],
    };
    let failure: { error: unknown } | undefined;
    let broken: unknown;
    try {
      // 2. One lookup of the ids already processed; 3. the handlers in order on one transaction
      // (BEGIN at the first message to apply); 4. one insert of the applied ids, and COMMIT.
      const recording = !this.unrecorded.has(topic);
      if (ids.size > 0 && recording) {
        scope.client = await this.options.pool.connect();
        for (const id of await findProcessed(scope.client, this.schema, this.options.groupId, [...ids]))
          scope.processed.add(id);
      }
      const completed = await this.prepare(topic, scope, control);
      // A topic whose ids are not recorded needs the connection only for the handlers that run: none
      // when `prepareBatch` completed every message, which then holds no connection idle meanwhile.
      if (!scope.client && [...ids].some((id) => !completed.has(id)))
        scope.client = await this.options.pool.connect();
      for (const message of chunk) {
        if (completed.size > 0 && (await this.completedInBatch(scope, message.offset, completed, recording)))
          continue;
        await this.handleIn(scope, () => handle(message));
        if (scope.failure) throw scope.failure.error;
        await control.heartbeat().catch((error: unknown) => {
          throw new BatchHeartbeatFailed(error);
        });
      }
      if (scope.began && scope.client) {
        const recorded = recording
          ? await markProcessed(scope.client, this.schema, this.options.groupId, scope.applied)
          : scope.applied.length;
        if (recorded !== scope.applied.length) {
          // Another instance (a rebalance overlap) recorded some of them since the lookup.
          throw new Error(
            `${scope.applied.length - recorded} of the batch's messages were processed concurrently`,
          );
        }
        await scope.client.query('COMMIT');
      }
    } catch (error) {
      failure = { error };
      if (scope.began)
        await scope.client?.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
      scope.client?.release(broken instanceof Error ? broken : undefined);
      scope.client = undefined;
    }

    const last = chunk.at(-1);
    if (!failure) {
      for (const entry of entries.values()) {
        if (entry.outcome === 'applied') this.metrics.countApplied();
        else if (entry.outcome === 'duplicate') this.metrics.countDuplicate();
      }
      // kafkajs keeps one resolved offset per partition: the last message covers the others.
      if (last) control.resolveOffset(last.offset);
      await control.heartbeat();
      return;
    }
    if (failure.error instanceof BatchHeartbeatFailed) throw failure.error.error;

    // 5. Something failed: nothing of the batch stayed applied. Replay it message by message on the
    // per-message path (retries, backoff, dead letters), as kafkajs' eachMessage would.
    this.logger.warn(
      `${topic}/${partition}@${chunk[0]?.offset}..${last?.offset}: batch rolled back, processing its ${chunk.length} messages one by one: ${errorMessage(failure.error)}`,
    );
    scope.mode = 'per-message';
    for (const entry of entries.values()) entry.outcome = undefined;
    for (const message of chunk) {
      if (!control.isActive()) return;
      await this.handleIn(scope, () => handle(message));
      control.resolveOffset(message.offset);
      await control.heartbeat();
    }
  }

  /**
   * A message whose work `prepareBatch` completed: counted as consumed and applied (its id recorded
   * at commit, in a transaction begun for that when none is yet), without calling its handler.
   * False for any other message (and for a repeat of a completed one within the chunk).
   */
  private async completedInBatch(
    scope: BatchScope,
    offset: string,
    completed: Completed,
    recording: boolean,
  ): Promise<boolean> {
    const entry = scope.entries.get(offset);
    const verdict = entry?.verdict;
    if (
      !entry ||
      !verdict?.valid ||
      !completed.has(verdict.event.id) ||
      scope.processed.has(verdict.event.id)
    )
      return false;
    if (!entry.consumedCounted) this.metrics.countConsumed();
    entry.consumedCounted = true;
    if (recording && !scope.began && scope.client) {
      scope.began = true;
      await scope.client.query('BEGIN');
    }
    scope.processed.add(verdict.event.id);
    scope.applied.push({
      messageId: verdict.event.id,
      topic: scope.topic,
      partition: scope.partition,
      offset,
    });
    entry.outcome = ('get' in completed ? completed.get(verdict.event.id) : undefined) ?? 'applied';
    return true;
  }

  /** `process` inside a batch transaction: apply on the shared client, record the id at commit. */
  private async processInBatch(
    ctx: KafkaContext,
    scope: BatchScope,
    entry: BatchEntry,
    apply: ApplyEvent,
  ): Promise<ProcessOutcome> {
    const { verdict } = entry;
    try {
      if (!verdict.valid) return await this.deadLetterOnce(ctx, verdict.reason, verdict.error, 0, entry);
      const { event } = verdict;
      if (scope.processed.has(event.id)) {
        entry.outcome ??= 'duplicate';
        return { status: 'duplicate', attempts: 1 };
      }
      const tx = scope.client;
      if (!tx) throw new Error('batch transaction missing');
      if (!scope.began) {
        scope.began = true;
        await tx.query('BEGIN');
      }
      let applied: void | 'duplicate';
      try {
        applied = await apply(event, tx);
      } catch (error) {
        entry.failedInBatch = { error };
        throw error;
      }
      scope.processed.add(event.id);
      scope.applied.push({
        messageId: event.id,
        topic: scope.topic,
        partition: scope.partition,
        offset: (ctx.getMessage() as unknown as RawMessage).offset,
      });
      const outcome = applied === 'duplicate' ? 'duplicate' : 'applied';
      entry.outcome = outcome;
      return { status: outcome, attempts: 1 };
    } catch (error) {
      // The transaction is unusable after a failed statement, and a handler may swallow the error:
      // the batch checks this after each handler call.
      scope.failure ??= { error };
      throw new BatchRolledBackException(error);
    }
  }

  /** Validates a message against the size limit, the contract and the tenant list. */
  private async validate(message: RawMessage, tenants?: Map<string, Promise<boolean>>): Promise<Verdict> {
    const size = messageSize(message);
    if (size > this.maxMessageBytes) {
      return {
        valid: false,
        reason: DeadLetterReasons.oversize,
        error: `message of ${size} bytes exceeds the consumer's limit of ${this.maxMessageBytes} bytes`,
      };
    }
    let event: PublicEventEnvelope;
    try {
      // The size was checked above, over key and headers too; the contract's own limit must not differ.
      event = fromKafkaMessage(message, { maxBytes: this.maxMessageBytes });
    } catch (error) {
      if (error instanceof InvalidCloudEventMessage)
        return { valid: false, reason: error.reason, error: error.message };
      throw error;
    }
    let known = tenants?.get(event.tenantId);
    if (!known) {
      known = Promise.resolve(this.options.knownTenant(event.tenantId));
      tenants?.set(event.tenantId, known);
    }
    if (!(await known)) {
      return {
        valid: false,
        reason: DeadLetterReasons.unknownTenant,
        error: `unknown tenant "${event.tenantId}"`,
      };
    }
    return { valid: true, event };
  }

  /** The per-message path: parks poison, or applies with retries in a transaction of its own. */
  private async settle(
    ctx: KafkaContext,
    message: RawMessage,
    verdict: Verdict,
    apply: ApplyEvent,
    entry?: BatchEntry,
  ): Promise<ProcessOutcome> {
    if (!verdict.valid) return this.deadLetterOnce(ctx, verdict.reason, verdict.error, 0, entry);
    const { event } = verdict;
    const failedInBatch = entry?.failedInBatch;
    if (entry) entry.failedInBatch = undefined;
    for (let attempt = 1; ; attempt++) {
      let error: unknown;
      if (attempt === 1 && failedInBatch) {
        // Attempt 1 was the batch's, rolled back with it.
        error = failedInBatch.error;
      } else {
        try {
          const applied = await this.applyOnce(ctx, message, event, apply);
          if (applied) this.metrics.countApplied();
          else this.metrics.countDuplicate();
          return { status: applied ? 'applied' : 'duplicate', attempts: attempt };
        } catch (failure) {
          error = failure;
        }
      }
      if (error instanceof PoisonMessageError)
        return this.deadLetterOnce(ctx, error.reason, error.message, attempt, entry);
      if (attempt >= this.retry.attempts) {
        if (isConnectionError(error)) {
          // The database is down, the message is fine: redeliver it rather than park it.
          throw new DatabaseUnavailableError(`database unreachable after ${attempt} attempts`, {
            cause: error,
          });
        }
        const reason = isTransientError(error)
          ? DeadLetterReasons.retriesExhausted
          : DeadLetterReasons.handlerError;
        return this.deadLetterOnce(ctx, reason, errorMessage(error), attempt, entry);
      }
      this.metrics.countRetry();
      this.logger.warn(
        `${ctx.getTopic()}/${ctx.getPartition()}@${message.offset} attempt ${attempt} failed, retrying: ${errorMessage(error)}`,
      );
      await sleep(backoffDelay(this.retry, attempt));
      // Long backoffs must not cost the partition: stay a live group member meanwhile.
      await ctx.getHeartbeat()();
    }
  }

  /** {@link deadLetter}, unless this delivery of the message was already parked (before a rollback). */
  private async deadLetterOnce(
    ctx: KafkaContext,
    reason: string,
    error: string,
    attempts: number,
    entry?: BatchEntry,
  ): Promise<ProcessOutcome> {
    if (entry?.deadLettered) return entry.deadLettered;
    const outcome = await this.deadLetter(ctx, reason, error, attempts);
    if (entry) entry.deadLettered = outcome;
    return outcome;
  }

  private async applyOnce(
    ctx: KafkaContext,
    message: RawMessage,
    event: PublicEventEnvelope,
    apply: ApplyEvent,
  ): Promise<boolean> {
    const client = await this.options.pool.connect();
    let broken: unknown;
    try {
      let fresh = true;
      if (this.unrecorded.has(ctx.getTopic())) await client.query('BEGIN');
      else
        fresh = await beginAndMarkProcessed(client, this.schema, this.options.groupId, event.id, {
          topic: ctx.getTopic(),
          partition: ctx.getPartition(),
          offset: message.offset,
        });
      const applied = fresh && (await apply(event, client)) !== 'duplicate';
      // A duplicate commits nothing but the empty transaction (or the id of a message its handler
      // recognised); ROLLBACK would cost the same.
      await client.query(fresh ? 'COMMIT' : 'ROLLBACK');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  private async deadLetter(
    ctx: KafkaContext,
    reason: string,
    error: string,
    attempts: number,
  ): Promise<ProcessOutcome> {
    const message = ctx.getMessage() as unknown as RawMessage;
    const topic = ctx.getTopic();
    const dlq = deadLetterTopic(topic);
    const dlqHeaders: Record<string, string> = {
      dlq_reason: reason,
      dlq_error: error.slice(0, 4_000),
      dlq_consumer_group: this.options.groupId,
      dlq_attempts: String(attempts),
      dlq_original_topic: topic,
      dlq_original_partition: String(ctx.getPartition()),
      dlq_original_offset: message.offset,
      dlq_failed_at: new Date().toISOString(),
    };
    const send = (value: Buffer | string | null, extra: Record<string, string> = {}) =>
      ctx.getProducer().send({
        topic: dlq,
        acks: -1,
        messages: [{ key: message.key, value, headers: { ...message.headers, ...dlqHeaders, ...extra } }],
      });
    try {
      try {
        await send(message.value);
      } catch (sendError) {
        if (!isTooLarge(sendError)) throw sendError;
        // The DLQ topic refuses the body: park the headers and the position, where the original stays
        // readable until retention, rather than stall the partition on a message that can never fit.
        this.logger.error(
          `${dlq} refused ${topic}/${ctx.getPartition()}@${message.offset} as too large; parked without its value`,
        );
        await send(null, { dlq_value_omitted_bytes: String(messageSize(message)) });
      }
    } catch (sendError) {
      throw new DeadLetterFailedError(topic, reason, { cause: sendError });
    }
    this.metrics.countDeadLettered(reason);
    this.logger.warn(
      `${topic}/${ctx.getPartition()}@${message.offset} parked in ${dlq}: ${reason}: ${error}`,
    );
    return { status: 'dead-lettered', reason, attempts };
  }
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function messageSize(message: RawMessage): number {
  let size = byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += Buffer.byteLength(name);
    for (const part of Array.isArray(value) ? value : [value]) size += byteLength(part);
  }
  return size;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  // Nest hands some failures back as plain objects ({ status, message }): say what they hold.
  if (typeof error === 'object' && error !== null) {
    try {
      return JSON.stringify(error);
    } catch {
      // a cyclic object: fall through
    }
  }
  return String(error);
}

function isTooLarge(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === 'object' && e !== null && !seen.has(e);) {
    seen.add(e);
    const { type } = e as { type?: unknown };
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    e = (e as { cause?: unknown; originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

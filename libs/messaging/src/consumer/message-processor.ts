import 'reflect-metadata';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type KafkaContext } from '@nestjs/microservices';
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
  DEFAULT_MAX_MESSAGE_BYTES,
} from './consumer-runtime.options';
import {
  assertSchemaName,
  beginAndMarkProcessed,
  ensureProcessedMessagesTable,
} from './processed-messages.store';

/** Applies one validated public event inside the transaction that also records its `ce_id`. */
export type ApplyEvent = (event: PublicEventEnvelope, tx: PoolClient) => Promise<void>;

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

interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  offset: string;
  headers?: RawHeaders;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The building block of every `@EventPattern` handler: validates the raw message against the public
 * contract and the tenant list, applies it with its `ce_id` in one transaction (idempotent on
 * redelivery), retries failures with a bounded backoff and parks poison in `<topic>.dlq` with the
 * original bytes and the error in `dlq_*` headers. It returns normally for everything it has applied,
 * skipped or parked, so the offset commits; it throws only when parking or the database itself failed,
 * so the message is redelivered.
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

  constructor(
    @Inject(CONSUMER_RUNTIME_OPTIONS) private readonly options: ConsumerRuntimeOptions,
    @Inject(ConsumerMetrics) private readonly metrics: ConsumerMetrics,
  ) {
    this.schema = options.schema ?? 'public';
    assertSchemaName(this.schema);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    assertRetryPolicy(this.retry);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Creates `processed_messages` before the first message can arrive. */
  async onModuleInit(): Promise<void> {
    await ensureProcessedMessagesTable(this.options.pool, this.schema);
  }

  /** Processes the message of `ctx` with `apply`; see the class comment for what it guarantees. */
  async process(ctx: KafkaContext, apply: ApplyEvent): Promise<ProcessOutcome> {
    this.metrics.countConsumed();
    const message = ctx.getMessage() as unknown as RawMessage;
    const size = messageSize(message);
    if (size > this.maxMessageBytes) {
      return this.deadLetter(
        ctx,
        DeadLetterReasons.oversize,
        `message of ${size} bytes exceeds the consumer's limit of ${this.maxMessageBytes} bytes`,
        0,
      );
    }

    let event: PublicEventEnvelope;
    try {
      // The size was checked above, over key and headers too; the contract's own limit must not differ.
      event = fromKafkaMessage(message, { maxBytes: this.maxMessageBytes });
    } catch (error) {
      if (error instanceof InvalidCloudEventMessage)
        return this.deadLetter(ctx, error.reason, error.message, 0);
      throw error;
    }
    if (!(await this.options.knownTenant(event.tenantId))) {
      return this.deadLetter(ctx, DeadLetterReasons.unknownTenant, `unknown tenant "${event.tenantId}"`, 0);
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await this.applyOnce(ctx, message, event, apply);
        if (applied) this.metrics.countApplied();
        else this.metrics.countDuplicate();
        return { status: applied ? 'applied' : 'duplicate', attempts: attempt };
      } catch (error) {
        if (error instanceof PoisonMessageError)
          return this.deadLetter(ctx, error.reason, error.message, attempt);
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
          return this.deadLetter(ctx, reason, errorMessage(error), attempt);
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
      const fresh = await beginAndMarkProcessed(client, this.schema, this.options.groupId, event.id, {
        topic: ctx.getTopic(),
        partition: ctx.getPartition(),
        offset: message.offset,
      });
      if (fresh) await apply(event, client);
      // A duplicate commits nothing but the empty transaction; ROLLBACK would cost the same.
      await client.query(fresh ? 'COMMIT' : 'ROLLBACK');
      return fresh;
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
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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

import { type Deserializer, type IncomingEvent, KafkaParser, ServerKafka } from '@nestjs/microservices';
import { type KafkaOptions } from '@nestjs/microservices';
import { type Consumer, type EachBatchPayload } from '@nestjs/microservices/external/kafka.interface';
import { type ConsumerMetrics } from './consumer-metrics';
import { type MessageProcessor } from './message-processor';

/**
 * A parser that keeps the kafkajs message as it arrived (Buffers for key, value and headers). Nest's
 * default decodes to strings and JSON-parses anything starting with `{`, which loses the original
 * bytes a dead letter must carry. It copies, as Nest's does, because kafkajs may retry the original.
 */
export class RawKafkaParser extends KafkaParser {
  override parse<T = unknown>(data: unknown): T {
    const message = data as { headers?: Record<string, unknown> };
    return { ...message, headers: { ...(message.headers ?? {}) } } as T;
  }
}

/** Hands the whole raw kafkajs message to the `@EventPattern` handler of its topic. */
export class RawKafkaDeserializer implements Deserializer<unknown, IncomingEvent> {
  deserialize(value: unknown, options?: Record<string, unknown>): IncomingEvent {
    return { pattern: options?.channel, data: value };
  }
}

const MAX_ROUTES = 1_000;

/**
 * Nest's Kafka transport (`Transport.KAFKA`, a `ServerKafka`) that keeps raw bytes and reports
 * consumer lag and partition assignments to {@link ConsumerMetrics}.
 *
 * With a {@link MessageProcessor} attached ({@link attachBatchProcessor}, done by
 * `createConsumerMicroservice` unless `batch: false`) kafkajs runs `eachBatch` with
 * `eachBatchAutoResolve: false` instead of `eachMessage`: each fetched batch goes to
 * {@link MessageProcessor.processBatch}, which still calls the Nest `@EventPattern` handler once per
 * message (through Nest's own `handleMessage`, so guards, interceptors and filters apply) and
 * resolves offsets only once their messages are committed. Without one it is Nest's `eachMessage`.
 */
export class RawKafkaServer extends ServerKafka {
  private metrics: ConsumerMetrics | undefined;
  private batchProcessor: MessageProcessor | undefined;
  /** Topic → handler route. Patterns here are the subscribed topics, so the map stays small. */
  private readonly routes = new Map<string, string>();

  constructor(options: Required<KafkaOptions>['options']) {
    super({ ...options, deserializer: options.deserializer ?? new RawKafkaDeserializer() });
    this.parser = new RawKafkaParser();
  }

  /** Where lag and assignments go; set before `listen()`. */
  attachMetrics(metrics: ConsumerMetrics): void {
    this.metrics = metrics;
  }

  /** Switches to batch mode (see the class comment); set before `listen()`. */
  attachBatchProcessor(processor: MessageProcessor): void {
    this.batchProcessor = processor;
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const processor = this.batchProcessor;
    if (!processor) return super.bindEvents(consumer);
    const patterns = [...this.messageHandlers.keys()];
    if (patterns.length > 0) await consumer.subscribe({ ...this.options.subscribe, topics: patterns });
    await consumer.run({
      ...this.options.run,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(processor, payload),
    });
  }

  private async handleBatch(processor: MessageProcessor, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    const pause = () => payload.pause();
    await processor.processBatch(
      batch,
      (message) => this.handleMessage({ topic, partition, message, heartbeat, pause }),
      {
        resolveOffset: (offset) => payload.resolveOffset(offset),
        heartbeat,
        commitOffsetsIfNecessary: () => payload.commitOffsetsIfNecessary(),
        isActive: () => payload.isRunning() && !payload.isStale(),
      },
    );
  }

  /**
   * Nest finds a message's handler by `JSON.parse` of its topic name, which throws (and is caught)
   * for every plain topic name, twice per message: a tenth of the consumer's CPU on a busy topic.
   * The route of a topic never changes, so it is worked out once.
   */
  protected override getRouteFromPattern(pattern: string): string {
    let route = this.routes.get(pattern);
    if (route === undefined) {
      route = super.getRouteFromPattern(pattern);
      if (this.routes.size < MAX_ROUTES) this.routes.set(pattern, route);
    }
    return route;
  }

  protected override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer;
    if (!consumer) return;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.metrics?.recordLag(payload.topic, payload.partition, Number(payload.offsetLag));
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assignment = payload.memberAssignment;
      this.metrics?.recordAssignment(assignment);
    });
  }
}

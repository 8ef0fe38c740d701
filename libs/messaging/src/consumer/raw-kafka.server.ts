import { type Deserializer, type IncomingEvent, KafkaParser, ServerKafka } from '@nestjs/microservices';
import { type KafkaOptions } from '@nestjs/microservices';
import { type ConsumerMetrics } from './consumer-metrics';

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

/**
 * Nest's Kafka transport (`Transport.KAFKA`, a `ServerKafka`) that keeps raw bytes and reports
 * consumer lag and partition assignments to {@link ConsumerMetrics}.
 */
export class RawKafkaServer extends ServerKafka {
  private metrics: ConsumerMetrics | undefined;

  constructor(options: Required<KafkaOptions>['options']) {
    super({ ...options, deserializer: options.deserializer ?? new RawKafkaDeserializer() });
    this.parser = new RawKafkaParser();
  }

  /** Where lag and assignments go; set before `listen()`. */
  attachMetrics(metrics: ConsumerMetrics): void {
    this.metrics = metrics;
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

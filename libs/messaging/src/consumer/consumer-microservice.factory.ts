import 'reflect-metadata';
import { type DynamicModule, type INestApplication, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type KafkaOptions } from '@nestjs/microservices';
import { ConsumerMetrics } from './consumer-metrics';
import { type ConsumerRuntimeOptions, DEFAULT_MAX_MESSAGE_BYTES } from './consumer-runtime.options';
import { MessageProcessor } from './message-processor';
import { RawKafkaServer } from './raw-kafka.server';

/** Room for headers and record-batch framing on top of the largest accepted message. */
const FETCH_OVERHEAD_BYTES = 64 * 1024;
const KAFKAJS_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Nest Kafka transport options for a consumer service: the group id exactly as given (no `-server`
 * postfix), no topic auto-creation by consumer or producer, client retries, and a fetch sized so the
 * largest accepted message (and anything somewhat larger, to be dead-lettered) fits.
 */
export function kafkaConsumerTransportOptions(
  options: ConsumerRuntimeOptions,
): Required<KafkaOptions>['options'] {
  const maxBytesPerPartition = (options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) + FETCH_OVERHEAD_BYTES;
  return {
    postfixId: '',
    client: {
      clientId: options.clientId,
      brokers: options.brokers,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
    },
    consumer: {
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition,
      maxBytes: Math.max(KAFKAJS_DEFAULT_MAX_BYTES, maxBytesPerPartition),
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
    },
    producer: { allowAutoTopicCreation: false },
    subscribe: { fromBeginning: options.fromBeginning ?? true },
    run: { autoCommit: true, partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1 },
  };
}

/**
 * Creates the Nest microservice of a consumer service on the Kafka transport (`ServerKafka`, keeping
 * raw bytes, see {@link RawKafkaServer}); `module` must import `ConsumerRuntimeModule.forRoot(options)`.
 * Call `await app.listen()` to join the group.
 *
 * Batch mode is the default: the messages fetched per partition are applied in one database
 * transaction, see {@link ConsumerRuntimeOptions.batch}; `batch: false` processes them one by one.
 *
 * Graceful shutdown: `await app.close()` (or `app.enableShutdownHooks()` for SIGTERM) stops the
 * consumer after the batch transaction (or message) in flight, commits the offsets of what was
 * processed and leaves the group, so its partitions move to the other instances at once instead of
 * after the session timeout; then the DLQ producer disconnects. Close the `pg` pool after the app.
 */
export async function createConsumerMicroservice(
  module: Type<unknown> | DynamicModule,
  options: ConsumerRuntimeOptions,
  nest: { logger?: false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[] } = {},
): Promise<INestMicroservice> {
  const server = new RawKafkaServer(kafkaConsumerTransportOptions(options));
  const app = await NestFactory.createMicroservice(module, { strategy: server, ...nest });
  server.attachMetrics(app.get(ConsumerMetrics, { strict: false }));
  const processor = app.get(MessageProcessor, { strict: false });
  if (processor.batchMode) server.attachBatchProcessor(processor);
  return app;
}

/**
 * Attaches the Kafka consumer to a service's HTTP application (a hybrid Nest app: one module, one
 * set of providers for REST and `@EventPattern` handlers); the app's module must import
 * `ConsumerRuntimeModule.forRoot(options)`. Then `await app.startAllMicroservices()` joins the
 * group; `app.close()` stops consuming (committing what was processed) before the HTTP server.
 */
export function connectConsumer(app: INestApplication, options: ConsumerRuntimeOptions): RawKafkaServer {
  const server = new RawKafkaServer(kafkaConsumerTransportOptions(options));
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: false });
  server.attachMetrics(app.get(ConsumerMetrics, { strict: false }));
  const processor = app.get(MessageProcessor, { strict: false });
  if (processor.batchMode) server.attachBatchProcessor(processor);
  return server;
}

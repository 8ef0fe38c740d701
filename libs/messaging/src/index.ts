// Consumer runtime (Nest Kafka transport, idempotent apply, retries, dead letters).
export { ConsumerRuntimeModule } from './consumer/consumer-runtime.module';
export {
  connectConsumer,
  createConsumerMicroservice,
  kafkaConsumerTransportOptions,
} from './consumer/consumer-microservice.factory';
export {
  CONSUMER_RUNTIME_OPTIONS,
  DEFAULT_MAX_MESSAGE_BYTES,
  type ConsumerRuntimeOptions,
  type PreparedOutcome,
} from './consumer/consumer-runtime.options';
export {
  MessageProcessor,
  DeadLetterReasons,
  type ApplyEvent,
  type ProcessOutcome,
} from './consumer/message-processor';
export { ConsumerMetrics, type ConsumerMetricsSnapshot } from './consumer/consumer-metrics';
export {
  TransientError,
  PoisonMessageError,
  DeadLetterFailedError,
  DatabaseUnavailableError,
  isTransientError,
  isConnectionError,
} from './consumer/consumer-errors';
export { DEFAULT_RETRY_POLICY, backoffDelay, type RetryPolicy } from './consumer/backoff';
export { RawKafkaServer, RawKafkaParser, RawKafkaDeserializer } from './consumer/raw-kafka.server';

// Outbox relay (event store → Kafka, checkpoint after acknowledgement) and topic provisioning.
export {
  OutboxRelay,
  type OutboxRelayOptions,
  type PublicEventMapper,
  type RelayFailure,
  type RelayMessage,
  type RelayMetrics,
} from './relay/outbox-relay';
export {
  PostgresRelayCheckpointStore,
  type PostgresRelayCheckpointStoreOptions,
  type RelayCheckpointStore,
} from './relay/relay-checkpoint-store';
export {
  RelayThread,
  type RelayFactory,
  type RelayThreadFailure,
  type RelayThreadOptions,
} from './relay/relay-thread';
export { deriveEventId } from './relay/derive-event-id';
export { traceparentOf, withTraceContext } from './relay/trace-context';
export {
  provisionTopics,
  createTopicsAndWait,
  TopicPartitionMismatch,
  type ProvisionResult,
  type ProvisionTopicsOptions,
  type TopicSpec,
} from './provisioning/provision-topics';

// Read models of the service's own streams, checkpointed in the same transaction as their rows.
export {
  ProjectionRunner,
  type ProjectEvent,
  type ProjectEvents,
  type ProjectionRunnerOptions,
} from './projection/projection-runner';

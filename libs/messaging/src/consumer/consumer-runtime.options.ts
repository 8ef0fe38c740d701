import { type Pool } from 'pg';
import { type RetryPolicy } from './backoff';
import { type ConsumerMetrics } from './consumer-metrics';

/** Settings of one consumer service: its Kafka client and group, its database, its policies. */
export interface ConsumerRuntimeOptions {
  /** Kafka client id (logged by the broker). */
  clientId: string;
  brokers: string[];
  /** Consumer group; also the `consumer_group` of `processed_messages` and the `dlq_consumer_group` header. */
  groupId: string;
  /** The service's database; the runtime borrows one client per message. */
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
  /** Counters to fill; a fresh {@link ConsumerMetrics} when omitted. */
  metrics?: ConsumerMetrics;
}

/** Nest injection token of the {@link ConsumerRuntimeOptions}. */
export const CONSUMER_RUNTIME_OPTIONS = Symbol('CONSUMER_RUNTIME_OPTIONS');

/** Default {@link ConsumerRuntimeOptions.maxMessageBytes}: 1 MiB, Kafka's default `max.message.bytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

import { eventsTopic, toKafkaMessage } from '@handoff/contracts';
import type { EventStore } from '@handoff/event-store';
import {
  OutboxRelay,
  PostgresRelayCheckpointStore,
  withTraceContext,
  type RelayCheckpointStore,
  type RelayFactory,
  type RelayFailure,
} from '@handoff/messaging';
import { createEventStore, type ConfigEnv } from '@handoff/platform';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { CUSTOMER_CATEGORY, TICKET_CATEGORY } from '../application/stream-names';
import { loadConversationsConfig } from '../conversations.config';
import { EVENT_STORE_SCHEMA, READ_MODEL_SCHEMA } from '../projections/read-model.schema';
import { toPublicEvents } from './public-events.mapper';

/** The service's own streams: the relay and the projection follow them. */
export const OWN_CATEGORIES = [CUSTOMER_CATEGORY, TICKET_CATEGORY];
export const RELAY_NAME = 'conversations-public-events';

/** The relay of the service's public events (`handoff.conversations.events.v1`), on any thread. */
export function conversationsRelay(parts: {
  store: EventStore;
  kafka: Kafka;
  checkpoints: RelayCheckpointStore;
  onError: (failure: RelayFailure) => void;
  /** RELAY_COALESCE_MS. */
  coalesceMs: number;
}): OutboxRelay<ReturnType<typeof toPublicEvents>[number]> {
  return new OutboxRelay({
    name: RELAY_NAME,
    store: parts.store,
    categories: OWN_CATEGORIES,
    map: withTraceContext(toPublicEvents),
    encode: toKafkaMessage,
    topic: eventsTopic('conversations'),
    kafka: parts.kafka,
    checkpoints: parts.checkpoints,
    onError: parts.onError,
    coalesceMs: parts.coalesceMs,
  });
}

/**
 * The relay thread's factory ({@link RelayFactory}): the same relay over connections of its own,
 * from the service's configuration. The host has already migrated the store and the checkpoint
 * table; the store's `init` here only checks them.
 */
export const createRelayInThread: RelayFactory<ConfigEnv> = async (env, hooks) => {
  const config = loadConversationsConfig(env);
  // Subscription reads and checkpoint saves, one at a time each, plus the store's LISTEN.
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max: 3,
    application_name: 'conversations-relay',
  });
  try {
    const store = await createEventStore(config, {
      pool,
      schema: EVENT_STORE_SCHEMA,
      namespace: 'conversations',
      pollIntervalMs: config.EVENT_STORE_POLL_MS,
    });
    const kafka = new Kafka({
      clientId: `${config.KAFKA_CLIENT_ID}-relay`,
      brokers: [...config.KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: READ_MODEL_SCHEMA });
    const relay = conversationsRelay({
      store,
      kafka,
      checkpoints,
      onError: hooks.onError,
      coalesceMs: config.RELAY_COALESCE_MS,
    });
    return {
      relay,
      close: async () => {
        await store.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
};

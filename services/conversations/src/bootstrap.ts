import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { inboundTopic, topicCatalogue } from '@handoff/contracts';
import { PostgresEventStore, uuidV7 } from '@handoff/event-store';
import {
  connectConsumer,
  PostgresRelayCheckpointStore,
  ProjectionRunner,
  provisionTopics,
  RelayThread,
} from '@handoff/messaging';
import {
  createEventStore,
  createServiceApp,
  openReadModelDataSource,
  poolOf,
  ShutdownCoordinator,
  type ConfigEnv,
} from '@handoff/platform';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { DestinationStream } from 'pino';
import type { Clock, IdGenerator } from './application/conversations.ports';
import { INBOUND_CATEGORY } from './application/stream-names';
import { type ConversationsConfig, loadConversationsConfig } from './conversations.config';
import { ConversationsModule } from './conversations.module';
import type * as relayModule from './messaging/public-events.relay';
import { conversationsRelay, OWN_CATEGORIES, RELAY_NAME } from './messaging/public-events.relay';
import { projectOwnEvent, projectOwnEvents } from './projections/conversations.projection';
import { InlineProjection } from './projections/inline-projection';
import { READ_MODEL_ENTITIES } from './projections/read-model.entities';
import { READ_MODEL_MIGRATIONS } from './projections/read-model.migrations';
import { EVENT_STORE_SCHEMA, READ_MODEL_SCHEMA } from './projections/read-model.schema';

export interface StartOptions {
  /** Where logs go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
  /** Listen to SIGTERM/SIGINT; default true. */
  enableShutdownHooks?: boolean;
  clock?: Clock;
  ids?: IdGenerator;
}

export interface RunningConversationsService {
  app: NestFastifyApplication;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** Stops consuming and relaying, finishes in-flight work, then closes every connection. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };
const uuidV7Ids: IdGenerator = { next: () => uuidV7() };

/**
 * `DB_PLANNER`'s session settings. `oltp`: every named statement planned once per connection, on
 * index lookups and nested loops whatever the size of the tables when it was planned.
 */
const PLANNER_OPTIONS: Record<ConversationsConfig['DB_PLANNER'], string> = {
  oltp: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off',
  postgres: '',
};

/**
 * Starts the conversations service: config, read model (migrations), event store, topics, the
 * projection of its own streams, the relay of its public events, the HTTP API and the Kafka consumer
 * (inbound messages, escalation and ownership facts). `main.ts` and the integration tests both call it.
 * @throws ConfigError when a setting is missing or invalid
 */
export async function startConversationsService(
  env: ConfigEnv,
  options: StartOptions = {},
): Promise<RunningConversationsService> {
  const config = loadConversationsConfig(env);
  const logger = new Logger('conversations');
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? uuidV7Ids;

  // The planner settings of both pools' connections (DB_PLANNER).
  const planner = PLANNER_OPTIONS[config.DB_PLANNER];
  const dataSource = await openReadModelDataSource({
    url: config.DATABASE_URL,
    schema: READ_MODEL_SCHEMA,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
    applicationName: 'conversations',
    poolSize: config.DB_POOL_SIZE,
    ...(planner === '' ? {} : { connectionOptions: planner }),
  });
  const cleanups: (() => Promise<unknown>)[] = [() => dataSource.destroy()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const pool = poolOf(dataSource);
    const lockPool = new Pool({
      connectionString: config.DATABASE_URL,
      max: config.INGEST_CONCURRENCY,
      application_name: 'conversations-locks',
      // Set once per connection rather than per lock: a waiter gives up (and its request fails
      // retryably) instead of hanging behind a holder that never finishes.
      options: `-c lock_timeout=15000 ${planner}`.trim(),
    });
    lockPool.on('error', (error) => logger.warn(`idle lock connection failed: ${error.message}`));
    cleanups.push(() => lockPool.end());
    const store = await createEventStore(config, {
      pool,
      schema: EVENT_STORE_SCHEMA,
      namespace: 'conversations',
      pollIntervalMs: config.EVENT_STORE_POLL_MS,
      notifyIntervalMs: config.EVENT_STORE_NOTIFY_MS,
      // One guard stream per ingested message, written once (a plan replaced reads its head).
      writeOnceCategories: [INBOUND_CATEGORY],
    });
    cleanups.push(() => store.close());
    await provisionTopics(config.KAFKA_BROKERS, topicCatalogue({ partitions: config.KAFKA_PARTITIONS }));

    // With the PostgreSQL store (the default), an ingestion whose caller waits for the read model
    // writes the rows of its events in their append's transaction; the projection skips those.
    const inline =
      store instanceof PostgresEventStore ? new InlineProjection(store, OWN_CATEGORIES) : undefined;
    const projection = new ProjectionRunner({
      name: 'conversations-read-model',
      store,
      categories: OWN_CATEGORIES,
      pool,
      schema: READ_MODEL_SCHEMA,
      apply: projectOwnEvent,
      applyBatch: projectOwnEvents,
      ...(inline ? { skip: inline.writtenAlready } : {}),
      coalesceMs: config.PROJECTION_COALESCE_MS,
      onError: (error, restartInMs) =>
        logger.error(`read-model projection failed, restarting in ${restartInMs} ms: ${String(error)}`),
    });
    await projection.init();

    const kafka = new Kafka({
      clientId: config.KAFKA_CLIENT_ID,
      brokers: [...config.KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: READ_MODEL_SCHEMA });
    await checkpoints.init();
    // The relay on this thread, or in a thread of its own (RELAY_THREAD).
    const relay: { start(): void; stop(): Promise<void> } = config.RELAY_THREAD
      ? new RelayThread({
          name: RELAY_NAME,
          module: require.resolve('./messaging/public-events.relay'),
          exportName: 'createRelayInThread' satisfies keyof typeof relayModule,
          settings: { ...env },
          onError: ({ source, message, attempt, restartInMs }) =>
            logger.error(
              `relay ${source === 'thread' ? 'thread ' : ''}failed (attempt ${attempt}), restarting in ${restartInMs} ms: ${message}`,
            ),
        })
      : conversationsRelay({
          store,
          kafka,
          checkpoints,
          onError: ({ error, attempt, restartInMs }) =>
            logger.error(
              `relay failed (attempt ${attempt}), restarting in ${restartInMs} ms: ${String(error)}`,
            ),
          coalesceMs: config.RELAY_COALESCE_MS,
        });

    const tenants = new Set([...config.API_KEYS.map((key) => key.tenantId), ...(config.TENANTS ?? [])]);
    const consumer = {
      clientId: config.KAFKA_CLIENT_ID,
      brokers: [...config.KAFKA_BROKERS],
      groupId: config.KAFKA_GROUP_ID,
      pool,
      schema: READ_MODEL_SCHEMA,
      knownTenant: (tenantId: string) => tenants.has(tenantId),
      partitionsConsumedConcurrently: config.KAFKA_CONCURRENT_PARTITIONS,
      // Ingestion is idempotent per channel message on its own (the `inbound-<hash>` guard streams):
      // recording each message id in processed_messages as well would only repeat that.
      unrecordedTopics: [inboundTopic('messages')],
    };
    const app = await createServiceApp(
      ConversationsModule.forRoot({
        store,
        dataSource,
        lockPool,
        barrier: projection,
        ...(inline ? { withReadModel: inline } : {}),
        clock,
        ids,
        maxMessageChars: config.MAX_MESSAGE_CHARS,
        ingestBatch: { maxBatch: config.INGEST_BATCH_MAX, maxInFlight: config.INGEST_BATCHES_IN_FLIGHT },
        consumer,
      }),
      config,
      {
        serviceName: 'conversations',
        description: 'Omnichannel ingestion, customer identity and one ticket timeline across channels.',
        readiness: { postgres: pool, kafka, eventStore: store },
        ...(options.logDestination ? { logDestination: options.logDestination } : {}),
        enableShutdownHooks: options.enableShutdownHooks ?? true,
      },
    );
    // The app closes its HTTP server and the consumer first; the hooks then run last-registered
    // first: relay and projection stop, then the store and the pools close.
    const shutdown = app.get(ShutdownCoordinator);
    cleanups.length = 0;
    shutdown.register('read-model data source', () => dataSource.destroy());
    shutdown.register('lock pool', () => lockPool.end());
    shutdown.register('event store', () => store.close());
    shutdown.register('read-model projection', () => projection.stop());
    shutdown.register('public-events relay', () => relay.stop());
    cleanups.push(() => app.close());

    connectConsumer(app, consumer);
    await projection.start();
    relay.start();
    await app.startAllMicroservices();
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.getHttpServer().address() as AddressInfo;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    return { app, url: `http://${host}:${address.port}`, close: () => app.close() };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

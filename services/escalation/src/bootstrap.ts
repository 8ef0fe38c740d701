import { eventsTopic, toKafkaMessage, topicCatalogue } from '@handoff/contracts';
import { uuidV7, type EventStore } from '@handoff/event-store';
import {
  connectConsumer,
  OutboxRelay,
  PostgresRelayCheckpointStore,
  ProjectionRunner,
  provisionTopics,
  withTraceContext,
} from '@handoff/messaging';
import {
  createEventStore,
  createServiceApp,
  openReadModelDataSource,
  poolOf,
  ShutdownCoordinator,
} from '@handoff/platform';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import { DeadlinePoller } from './application/deadline.poller';
import { OrphanedHoldSweeper } from './application/orphaned-holds.sweeper';
import type { Clock } from './application/ports';
import { loadEscalationConfig } from './escalation.config';
import { EscalationModule } from './escalation.module';
import { mapEscalationEvent } from './messaging/escalation-public-events.mapper';
import { ESCALATION_ENTITIES } from './projections/escalation.entities';
import { escalationProjection } from './projections/escalation.projection';
import { EscalationQueries } from './projections/escalation.queries';
import { ESCALATION_MIGRATIONS } from './projections/escalation.migrations';

export interface StartEscalationOptions {
  clock?: Clock;
  logDestination?: DestinationStream;
  /** Listen to SIGTERM/SIGINT (default true; in-process tests turn it off). */
  enableShutdownHooks?: boolean;
}

export interface RunningEscalationService {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

/** Events per read-model transaction (see the projection runner below). */
const PROJECTION_MAX_BATCH = 50;

/**
 * Starts the escalation service: config, read model (migrations), event store, topics, the HTTP app
 * with its Kafka consumers, the read-model projection, the public-event relay and the deadline
 * poller. Used by `main.ts` and, in-process, by the integration tests.
 */
export async function startEscalationService(
  env: Record<string, string | undefined>,
  options: StartEscalationOptions = {},
): Promise<RunningEscalationService> {
  const config = loadEscalationConfig(env);
  const logger = new Logger('Escalation');
  const clock = options.clock ?? systemClock;
  const cleanup: (() => Promise<unknown>)[] = [];
  let dataSource: DataSource | undefined;
  try {
    dataSource = await openReadModelDataSource({
      url: config.DATABASE_URL,
      schema: 'escalation',
      entities: ESCALATION_ENTITIES,
      migrations: ESCALATION_MIGRATIONS,
      applicationName: 'escalation',
      poolSize: 20,
    });
    const ds = dataSource;
    cleanup.push(() => ds.destroy());
    const pool = poolOf(dataSource);
    const store: EventStore = await createEventStore(config, {
      pool,
      schema: 'escalation_events',
      namespace: 'escalation',
    });
    cleanup.push(() => store.close());
    await provisionTopics(config.KAFKA_BROKERS, topicCatalogue({ partitions: config.KAFKA_PARTITIONS }));

    const projection = new ProjectionRunner({
      name: 'escalation-read-model',
      store,
      categories: ['handoff', 'agent'],
      pool,
      schema: 'escalation',
      // A projection transaction holds back every global read (the relay's too) until it commits:
      // short batches keep the public events flowing while the read model catches up.
      maxBatch: PROJECTION_MAX_BATCH,
      apply: escalationProjection({
        routingRetryMs: config.ROUTING_RETRY_MS,
        recoveryDelayMs: config.RECOVERY_DELAY_MS,
      }),
      onError: (error, restartInMs) =>
        logger.error(`read-model projection failed, restart in ${restartInMs} ms: ${String(error)}`),
    });
    await projection.init();
    const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: 'escalation' });
    await checkpoints.init();
    const relay = new OutboxRelay({
      name: 'escalation-public-events',
      store,
      categories: ['handoff', 'agent'],
      map: withTraceContext(mapEscalationEvent),
      encode: toKafkaMessage,
      topic: eventsTopic('escalation'),
      kafka: new Kafka({
        clientId: 'escalation-relay',
        brokers: [...config.KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      }),
      checkpoints,
      onError: (failure) =>
        logger.error(`relay failed, restart in ${failure.restartInMs} ms: ${String(failure.error)}`),
    });

    const tenants = new Set(config.API_KEYS.map((entry) => entry.tenantId));
    const consumer = {
      clientId: 'escalation',
      brokers: [...config.KAFKA_BROKERS],
      groupId: config.KAFKA_GROUP_ID,
      pool,
      schema: 'escalation',
      knownTenant: (tenantId: string) => tenants.has(tenantId),
    };
    const app = await createServiceApp(
      EscalationModule.register({
        store,
        pool,
        queries: new EscalationQueries(dataSource, {
          acceptanceTimeoutSeconds: config.ACCEPTANCE_TIMEOUT_SECONDS,
          maxExpiries: config.MAX_EXPIRIES,
        }),
        clock,
        ids: { next: () => uuidV7() },
        handoffSettings: {
          briefTimeoutMs: config.BRIEF_TIMEOUT_MS,
          defaultChannel: config.DEFAULT_CHANNEL,
          ticketWaitMs: config.TICKET_WAIT_MS,
        },
        barrier: async (stream) => {
          // Read-your-writes for routing: the agent's newest event is in the read model on return.
          const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
          if (last === undefined) return;
          // The write succeeded: a slow projection must not turn it into an error, only delay routing.
          await projection
            .waitFor(last.globalPosition, 10_000)
            .catch((error: unknown) =>
              logger.warn(`read model behind after a write to ${stream}: ${String(error)}`),
            );
        },
        consumer,
        deadlinePollMs: config.DEADLINE_POLL_MS,
        holdSweep: { intervalMs: config.HOLD_SWEEP_INTERVAL_MS, graceMs: config.HOLD_SWEEP_GRACE_MS },
        botId: config.BOT_OWNER_ID,
      }),
      config,
      {
        serviceName: 'escalation',
        description: 'Handoffs as first-class objects: routing, offers with briefs, acceptance deadlines.',
        readiness: { postgres: pool, eventStore: store },
        ...(options.logDestination === undefined ? {} : { logDestination: options.logDestination }),
        ...(options.enableShutdownHooks === undefined
          ? {}
          : { enableShutdownHooks: options.enableShutdownHooks }),
      },
    );
    cleanup.push(() => app.close());
    const shutdown = app.get(ShutdownCoordinator);
    const poller = app.get(DeadlinePoller);
    const holdSweeper = app.get(OrphanedHoldSweeper);
    // Stop hooks run last-registered first: poller, projection, relay, then the store and the pool.
    cleanup.splice(0, cleanup.length, () => app.close());
    shutdown.register('read-model data source', () => ds.destroy());
    shutdown.register('event store', () => store.close());
    shutdown.register('public-event relay', () => relay.stop());
    shutdown.register('read-model projection', () => projection.stop());
    shutdown.register('deadline poller', () => poller.stop());
    shutdown.register('capacity hold sweeper', () => holdSweeper.stop());

    connectConsumer(app, consumer);
    await app.startAllMicroservices();
    await projection.start();
    relay.start();
    poller.start();
    holdSweeper.start();
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.getHttpServer().address() as AddressInfo;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    return { app, url: `http://${host}:${address.port}`, close: () => app.close() };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

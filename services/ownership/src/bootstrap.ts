import 'reflect-metadata';
import { eventsTopic, toKafkaMessage, topicCatalogue, type PublicEventEnvelope } from '@handoff/contracts';
import { uuidV7 } from '@handoff/event-store';
import {
  connectConsumer,
  OutboxRelay,
  PostgresRelayCheckpointStore,
  ProjectionRunner,
  provisionTopics,
  type ConsumerRuntimeOptions,
  withTraceContext,
} from '@handoff/messaging';
import {
  createEventStore,
  createServiceApp,
  type MetricsService,
  openReadModelDataSource,
  poolOf,
  ShutdownCoordinator,
} from '@handoff/platform';
import { Logger, type INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import type { DestinationStream } from 'pino';
import { AgentDirectory } from './application/agent-directory';
import { HandoverDeadlines } from './application/handover-deadlines';
import { LapseAlerts } from './application/lapse-alerts';
import { LapseOverdueAlerts } from './application/lapse-overdue-alerts';
import { OwnershipCommandBus } from './application/ownership-command.bus';
import { OwnershipCommands } from './application/ownership.commands.service';
import { systemClock, type Clock } from './application/ownership.ports';
import { OwnershipQueries } from './application/ownership.queries';
import { createOwnershipDecider } from './domain/ownership.decider';
import { toPublicEvents } from './messaging/public-event.mapper';
import { loadOwnershipConfig } from './ownership.config';
import { OwnershipModule } from './ownership.module';
import { OWNERSHIP_ENTITIES } from './projections/ownership.entities';
import { OwnershipReadModels1764460800000 } from './projections/migrations/1764460800000-ownership-read-models';
import { LapseAlerts1767225600000 } from './projections/migrations/1767225600000-lapse-alerts';
import { projectOwnershipEvent } from './projections/ownership.projector';

export interface StartOwnershipOptions {
  /** Tests pin time here; default the system clock. */
  clock?: Clock;
  logDestination?: DestinationStream;
  enableShutdownHooks?: boolean;
}

export interface RunningOwnershipService {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

const SCHEMA = 'ownership';

/**
 * The composition root: validates the settings, opens the read-model database (migrations) and the
 * event store on one pool, provisions the topics, and starts the HTTP API, the Kafka consumer, the
 * projection, the outbox relay, the handover-deadline poller and the overdue-lapse alerts, each
 * registered for ordered shutdown.
 */
export async function startOwnershipService(
  env: Record<string, string | undefined>,
  options: StartOwnershipOptions = {},
): Promise<RunningOwnershipService> {
  const config = loadOwnershipConfig(env);
  const clock = options.clock ?? systemClock;
  const logger = new Logger('OwnershipService');

  const dataSource = await openReadModelDataSource({
    url: config.DATABASE_URL,
    schema: SCHEMA,
    entities: OWNERSHIP_ENTITIES,
    migrations: [OwnershipReadModels1764460800000, LapseAlerts1767225600000],
    applicationName: 'ownership',
    poolSize: 24,
  });
  const pool = poolOf(dataSource);
  const cleanup: (() => Promise<unknown>)[] = [() => dataSource.destroy()];
  try {
    const store = await createEventStore(config, {
      pool,
      schema: 'ownership_events',
      namespace: 'ownership',
    });
    cleanup.unshift(() => store.close());
    await provisionTopics(config.KAFKA_BROKERS, topicCatalogue({ partitions: config.KAFKA_PARTITIONS }));

    const decider = createOwnershipDecider({
      windowSeconds: config.LOOP_WINDOW_SECONDS,
      maxChangesInWindow: config.LOOP_MAX_CHANGES,
    });
    const projection = new ProjectionRunner({
      name: 'ownership-read-models',
      store,
      categories: ['ownership'],
      pool,
      schema: SCHEMA,
      apply: projectOwnershipEvent,
      onError: (error, restartInMs) =>
        logger.error(`projection failed, restarting in ${restartInMs} ms: ${String(error)}`),
    });
    await projection.init();
    const directory = new AgentDirectory(pool);
    const queries = new OwnershipQueries(pool, store, decider, clock);
    const tenants = new Set(config.API_KEYS.map((entry) => entry.tenantId));
    const alertLogger = new Logger('OwnershipLapses');
    const lapseAlerts = (metrics: MetricsService) =>
      new LapseAlerts(metrics, pool, [...tenants], { warn: (fields) => alertLogger.warn(fields) }, clock);
    const commands = (alerts: LapseAlerts) =>
      new OwnershipCommands(
        new OwnershipCommandBus(store, decider, uuidV7),
        directory,
        clock,
        projection,
        {
          botOwnerId: config.BOT_OWNER_ID,
          handoverAcknowledgeSeconds: config.HANDOVER_ACK_TIMEOUT_SECONDS,
        },
        uuidV7,
        decider,
        alerts,
      );
    const consumer: ConsumerRuntimeOptions = {
      clientId: 'ownership',
      brokers: [...config.KAFKA_BROKERS],
      groupId: config.KAFKA_GROUP_ID,
      pool,
      schema: SCHEMA,
      knownTenant: (tenantId) => tenants.has(tenantId),
    };

    const app = await createServiceApp(
      OwnershipModule.forRoot({ lapseAlerts, commands, queries, directory, consumer }),
      config,
      {
        serviceName: 'ownership',
        description: 'One named accountable owner per ticket: transfers, shift handovers, as-of, audit.',
        readiness: { postgres: pool, eventStore: store },
        ...(options.logDestination ? { logDestination: options.logDestination } : {}),
        ...(options.enableShutdownHooks === undefined
          ? {}
          : { enableShutdownHooks: options.enableShutdownHooks }),
      },
    );
    const shutdown = app.get(ShutdownCoordinator);
    // Registered first, stopped last: the connections everything else uses.
    shutdown.register('postgres pool', () => dataSource.destroy());
    shutdown.register('event store', () => store.close());
    cleanup.length = 0;
    cleanup.push(() => app.close());

    await projection.start();
    shutdown.register('projection', () => projection.stop());

    const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: SCHEMA });
    await checkpoints.init();
    const relay = new OutboxRelay<PublicEventEnvelope>({
      name: 'ownership-public-events',
      store,
      categories: ['ownership'],
      map: withTraceContext(toPublicEvents),
      encode: (envelope) => toKafkaMessage(envelope),
      topic: eventsTopic('ownership'),
      kafka: new Kafka({
        clientId: 'ownership-relay',
        brokers: [...config.KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      }),
      checkpoints,
      onError: (failure) =>
        logger.error(
          `relay failed (attempt ${failure.attempt}), restarting in ${failure.restartInMs} ms: ${String(failure.error)}`,
        ),
    });
    relay.start();
    shutdown.register('outbox relay', () => relay.stop());

    const deadlines = new HandoverDeadlines(
      pool,
      app.get(OwnershipCommands),
      clock,
      config.HANDOVER_POLL_INTERVAL_MS,
      (error) => logger.error(`handover deadlines: ${String(error)}`),
    );
    deadlines.start();
    shutdown.register('handover deadlines', () => deadlines.stop());

    const overdueLapses = new LapseOverdueAlerts(
      pool,
      app.get(LapseAlerts),
      clock,
      { afterSeconds: config.LAPSE_ALERT_AFTER_SECONDS, intervalMs: config.LAPSE_ALERT_POLL_INTERVAL_MS },
      (error) => logger.error(`lapse alerts: ${String(error)}`),
    );
    overdueLapses.start();
    shutdown.register('overdue lapse alerts', () => overdueLapses.stop());

    // The consumer joins last and, on app.close(), stops first (committing what it processed).
    connectConsumer(app, consumer);
    await app.startAllMicroservices();

    await app.listen(config.PORT, config.HOST);
    const address = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
    return { app, url: address, close: () => app.close() };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

import { topicCatalogue } from '@handoff/contracts';
import { connectConsumer, provisionTopics, type ConsumerRuntimeOptions } from '@handoff/messaging';
import {
  createServiceApp,
  loadServiceConfig,
  openReadModelDataSource,
  poolOf,
  ShutdownCoordinator,
} from '@handoff/platform';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { InsightsMetrics } from './application/insights-metrics';
import { insightsConfigSchema, type InsightsConfig } from './insights.config';
import { InsightsModule } from './insights.module';
import { INSIGHTS_ENTITIES } from './projections/insights.entities';
import { InsightsReadModels1764460000000 } from './projections/migrations/1764460000000-insights-read-models';
import { TicketInsightDeriver } from './projections/ticket-insight.deriver';

/** The read-model schema of insights. */
export const INSIGHTS_SCHEMA = 'insights';

/** What tests (and main.ts) may vary beside the environment. */
export interface StartInsightsOptions {
  clock?: () => Date;
  logDestination?: DestinationStream;
  enableShutdownHooks?: boolean;
}

/** A running insights service. */
export interface RunningInsightsService {
  app: NestFastifyApplication;
  url: string;
  config: InsightsConfig;
  /** Derives every pending ticket now (tests and the rebuild wait on it). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the read models of insights (running the migrations). */
export function openInsightsReadModels(url: string, poolSize = 10) {
  return openReadModelDataSource({
    url,
    schema: INSIGHTS_SCHEMA,
    entities: INSIGHTS_ENTITIES,
    migrations: [InsightsReadModels1764460000000],
    applicationName: 'insights',
    poolSize,
  });
}

/**
 * The composition root of insights: validated config, read models (migrations), topics, the Nest app
 * with REST and the Kafka fold of every public topic, and the deriver of the ticket read models.
 * Shutdown order: the consumer stops (committing what it applied), then the deriver finishes its
 * batch, then the database closes.
 */
export async function startInsightsService(
  env: Record<string, string | undefined>,
  options: StartInsightsOptions = {},
): Promise<RunningInsightsService> {
  const config = loadServiceConfig(env, insightsConfigSchema);
  const clock = options.clock ?? (() => new Date());
  const concurrency = config.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY;
  const dataSource = await openInsightsReadModels(config.DATABASE_URL, concurrency + 6);
  const pool = poolOf(dataSource);
  let app: NestFastifyApplication | undefined;
  try {
    await provisionTopics(config.KAFKA_BROKERS, topicCatalogue({ partitions: config.KAFKA_PARTITIONS }));
    const known = new Set(config.KNOWN_TENANTS);
    const consumer: ConsumerRuntimeOptions = {
      clientId: config.KAFKA_CLIENT_ID,
      brokers: [...config.KAFKA_BROKERS],
      groupId: config.KAFKA_GROUP_ID,
      pool,
      schema: INSIGHTS_SCHEMA,
      knownTenant: (tenantId) => known.size === 0 || known.has(tenantId),
      partitionsConsumedConcurrently: concurrency,
      fromBeginning: true,
    };
    app = await createServiceApp(
      InsightsModule.forRoot({
        dataSource,
        consumer,
        clock,
        metricsWindowDays: config.METRICS_WINDOW_DAYS,
        settings: {
          reopenWithinDays: config.REOPEN_WITHIN_DAYS,
          shiftEndMinutes: config.SHIFT_END_MINUTES,
          ownerChangeThreshold: config.OWNER_CHANGE_THRESHOLD,
        },
      }),
      config,
      {
        serviceName: 'insights',
        description: 'The warning signs and handoff quality as measured numbers.',
        readiness: { postgres: pool },
        ...(options.logDestination ? { logDestination: options.logDestination } : {}),
        ...(options.enableShutdownHooks === undefined
          ? {}
          : { enableShutdownHooks: options.enableShutdownHooks }),
      },
    );
    const shutdown = app.get(ShutdownCoordinator);
    shutdown.register('read-model data source', () => dataSource.destroy());
    const metrics = app.get(InsightsMetrics);
    const logger = new Logger('TicketInsightDeriver');
    const deriver = new TicketInsightDeriver({
      pool,
      batchTickets: config.DERIVE_BATCH_TICKETS,
      onDerived: (tickets) => metrics.countDerived(tickets),
      onError: (error) => logger.error(`derivation failed, retrying: ${String(error)}`),
    });
    deriver.start();
    shutdown.register('ticket-insight deriver', () => deriver.stop());
    connectConsumer(app, consumer);
    await app.startAllMicroservices();
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const running = app;
    return {
      app: running,
      url: `http://127.0.0.1:${port}`,
      config,
      drain: () => deriver.drain(),
      close: () => running.close(),
    };
  } catch (error) {
    if (app) await app.close().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

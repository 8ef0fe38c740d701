import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { eventsTopic, topicCatalogue, toKafkaMessage, type PublicEventEnvelope } from '@handoff/contracts';
import { uuidV7 } from '@handoff/event-store';
import {
  connectConsumer,
  OutboxRelay,
  PostgresRelayCheckpointStore,
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
import { BriefComposer } from './application/brief-composer';
import { OpenAiCompatibleProvider } from './application/openai-compatible.provider';
import { SummarizationService } from './application/summarization.service';
import { toPublicEvents } from './messaging/public-event.mapper';
import { SummarizationReadModel1764460000000 } from './projections/1764460000000-summarization-read-model.migration';
import { HandoffWatchRow, IntentTaxonomyRow, TranscriptMessageRow } from './projections/read-model.entities';
import { loadSummarizationConfig } from './summarization.config';
import { SummarizationModule } from './summarization.module';

export interface StartOptions {
  /** Clock of the events the service records (tests pin it). */
  clock?: () => Date;
  newId?: () => string;
  enableShutdownHooks?: boolean;
  logLevelOverride?: 'silent';
}

export interface RunningSummarizationService {
  app: NestFastifyApplication;
  url: string;
  service: SummarizationService;
  close(): Promise<void>;
}

/** Starts the summarization service (config → database → event store → topics → app → relay + consumer → listen). */
export async function startSummarizationService(
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<RunningSummarizationService> {
  const config = loadSummarizationConfig(env);
  const dataSource = await openReadModelDataSource({
    url: config.DATABASE_URL,
    schema: 'summarization',
    entities: [TranscriptMessageRow, IntentTaxonomyRow, HandoffWatchRow],
    migrations: [SummarizationReadModel1764460000000],
    applicationName: 'summarization',
  });
  const cleanup: (() => Promise<unknown>)[] = [() => dataSource.destroy()];
  try {
    const pool = poolOf(dataSource);
    const store = await createEventStore(config, {
      pool,
      schema: 'summarization_events',
      namespace: 'summarization',
    });
    cleanup.unshift(() => store.close());
    await provisionTopics(config.KAFKA_BROKERS, topicCatalogue({ partitions: config.KAFKA_PARTITIONS }));

    const logger = new Logger('summarization');
    const provider = config.SUMMARY_PROVIDER_URL
      ? new OpenAiCompatibleProvider({
          baseUrl: config.SUMMARY_PROVIDER_URL,
          model: config.SUMMARY_PROVIDER_MODEL,
          ...(config.SUMMARY_PROVIDER_API_KEY ? { apiKey: config.SUMMARY_PROVIDER_API_KEY.reveal() } : {}),
        })
      : undefined;
    const composer = new BriefComposer(provider, config.SUMMARY_PROVIDER_TIMEOUT_MS, (reason) =>
      logger.warn(`summary provider not used, deterministic paragraph kept: ${reason}`),
    );
    const service = new SummarizationService(
      store,
      pool,
      composer,
      { incrementalEvery: config.BRIEF_INCREMENTAL_EVERY, engineCacheSize: config.BRIEF_ENGINE_CACHE_SIZE },
      options.clock ?? (() => new Date()),
      options.newId ?? uuidV7,
    );

    const tenants = new Set([...config.API_KEYS.map((k) => k.tenantId), ...config.KNOWN_TENANTS]);
    const consumerOptions = {
      clientId: 'summarization',
      brokers: config.KAFKA_BROKERS,
      groupId: config.KAFKA_GROUP_ID,
      pool,
      schema: 'summarization',
      knownTenant: (tenantId: string) => tenants.has(tenantId),
    };
    const kafka = new Kafka({
      clientId: 'summarization-relay',
      brokers: config.KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
    });
    const app = await createServiceApp(
      SummarizationModule.forRoot(service, consumerOptions),
      { ...config, ...(options.logLevelOverride ? { LOG_LEVEL: options.logLevelOverride } : {}) },
      {
        serviceName: 'summarization',
        description: 'Handoff briefs (intent, actions taken, objective, key facts) and repeat detection.',
        readiness: { postgres: pool, kafka, eventStore: store },
        ...(options.enableShutdownHooks !== undefined
          ? { enableShutdownHooks: options.enableShutdownHooks }
          : {}),
      },
    );
    cleanup.unshift(() => app.close());
    const shutdown = app.get(ShutdownCoordinator);
    // Hooks run last-registered first: relay → event store (its LISTEN client) → database pool.
    shutdown.register('read-model database', () => dataSource.destroy());
    shutdown.register('event store', () => store.close());

    const checkpoints = new PostgresRelayCheckpointStore({ connection: pool, schema: 'summarization' });
    await checkpoints.init();
    const relay = new OutboxRelay<PublicEventEnvelope>({
      name: 'summarization-public-events',
      store,
      categories: ['brief'],
      map: withTraceContext(toPublicEvents),
      encode: toKafkaMessage,
      topic: eventsTopic('summarization'),
      kafka,
      checkpoints,
      onError: (failure) =>
        logger.error(`relay failure (attempt ${failure.attempt}): ${String(failure.error)}`),
    });
    relay.start();
    shutdown.register('relay', () => relay.stop());

    connectConsumer(app, consumerOptions);
    await app.startAllMicroservices();

    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      service,
      close: async () => {
        await app.close();
      },
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

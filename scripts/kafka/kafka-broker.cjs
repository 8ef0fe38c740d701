#!/usr/bin/env node
// @ts-check
/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) run from the
 * Maven Central jars, for development (`npm start`) and for the test harness.
 *
 *   node scripts/kafka/kafka-broker.cjs start|stop|status|install
 *
 * Settings (environment): KAFKA_VERSION, KAFKA_HOST, KAFKA_PORT, KAFKA_CONTROLLER_PORT,
 * KAFKA_DATA_DIR, KAFKA_HEAP, KAFKA_START_TIMEOUT_MS. See README.md.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Kafka, logLevel } = require('kafkajs');

/**
 * Pinned broker release. Chosen by the smoke test in tests/infrastructure (kafkajs against the real
 * broker: produce, group consume with commits, rebalance, admin createTopics); see README.md.
 */
const PINNED_KAFKA_VERSION = '4.3.1';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM = path.join(__dirname, 'pom.xml');

class BrokerError extends Error {}

/**
 * @typedef {object} BrokerOptions
 * @property {string} version Apache Kafka release (Maven version of org.apache.kafka:kafka_2.13)
 * @property {string} host listener host
 * @property {number} port client (PLAINTEXT) port
 * @property {number} controllerPort KRaft controller port
 * @property {string} dataDir folder for storage, config, state and the log file
 * @property {string} heap JVM heap (-Xmx)
 * @property {number} startTimeoutMs how long to wait for a Metadata answer
 * @property {(line: string) => void} log progress output
 */

/**
 * Options from the environment, with the defaults of a development machine.
 * @param {NodeJS.ProcessEnv} env
 * @param {Partial<BrokerOptions>} [overrides]
 * @returns {BrokerOptions}
 */
function optionsFromEnv(env = process.env, overrides = {}) {
  const port = overrides.port ?? intSetting(env, 'KAFKA_PORT', 9092);
  return {
    version: overrides.version ?? env.KAFKA_VERSION ?? PINNED_KAFKA_VERSION,
    host: overrides.host ?? env.KAFKA_HOST ?? '127.0.0.1',
    port,
    controllerPort: overrides.controllerPort ?? intSetting(env, 'KAFKA_CONTROLLER_PORT', port + 1),
    dataDir: path.resolve(
      overrides.dataDir ?? env.KAFKA_DATA_DIR ?? path.join(REPO_ROOT, '.data', `kafka-${port}`),
    ),
    heap: overrides.heap ?? env.KAFKA_HEAP ?? '512m',
    startTimeoutMs: overrides.startTimeoutMs ?? intSetting(env, 'KAFKA_START_TIMEOUT_MS', 120_000),
    log: overrides.log ?? ((line) => process.stderr.write(`[kafka] ${line}\n`)),
  };
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @param {number} fallback
 */
function intSetting(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new BrokerError(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return value;
}

const ALTERNATIVES =
  'Alternatives: set KAFKA_BROKERS=host:port to use an existing Kafka cluster instead of the ' +
  'scripted broker, or run the stack from deploy/ (docker compose) on a machine with a Docker engine.';

/** Fails at once, naming what is missing, when no Java 17+ is on PATH. */
function requireJava() {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new BrokerError(
      `Java 17 or newer is required to run the Kafka broker, but no "java" was found on PATH. ${ALTERNATIVES}`,
    );
  }
  const text = `${probe.stderr}${probe.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : NaN;
  if (!(major >= 17)) {
    throw new BrokerError(
      `Java 17 or newer is required to run the Kafka broker, found: ${text.split('\n')[0] ?? 'unknown'}. ${ALTERNATIVES}`,
    );
  }
  return major;
}

/** Fails at once when Maven is needed (jars not cached yet) and missing. */
function requireMaven() {
  const probe = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new BrokerError(
      `Apache Maven is required to resolve the Kafka broker jars from Maven Central, but no "mvn" was found on PATH. ${ALTERNATIVES}`,
    );
  }
}

/** @param {string} version */
function jarsDir(version) {
  return path.join(REPO_ROOT, '.cache', 'kafka', version, 'libs');
}

/**
 * Resolves the broker's runtime classpath from Maven Central into .cache/kafka/<version>/libs,
 * once per version; a marker file records a complete copy so an interrupted download is redone.
 * @param {BrokerOptions} options
 */
function installJars(options) {
  const libs = jarsDir(options.version);
  const marker = path.join(libs, '.complete');
  if (fs.existsSync(marker)) return libs;
  requireMaven();
  options.log(
    `resolving org.apache.kafka:kafka_2.13:${options.version} from Maven Central into ${path.relative(REPO_ROOT, libs)}`,
  );
  fs.rmSync(libs, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-Dkafka.version=${options.version}`,
      `-DoutputDirectory=${libs}`,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new BrokerError(
      `Maven could not resolve Kafka ${options.version}:\n${(result.stdout + result.stderr).slice(-4000)}`,
    );
  }
  if (!fs.existsSync(path.join(libs, `kafka_2.13-${options.version}.jar`))) {
    throw new BrokerError(`Maven finished but kafka_2.13-${options.version}.jar is not in ${libs}`);
  }
  fs.writeFileSync(marker, `${fs.readdirSync(libs).join('\n')}\n`);
  return libs;
}

/** @param {BrokerOptions} o */
function paths(o) {
  return {
    config: path.join(o.dataDir, 'server.properties'),
    log4j: path.join(o.dataDir, 'log4j2.properties'),
    storage: path.join(o.dataDir, 'storage'),
    state: path.join(o.dataDir, 'broker.json'),
    logFile: path.join(o.dataDir, 'broker.log'),
  };
}

/** @param {BrokerOptions} o */
function writeConfig(o) {
  const p = paths(o);
  fs.mkdirSync(o.dataDir, { recursive: true });
  const properties = [
    '# Written by scripts/kafka/kafka-broker.cjs on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${o.host}:${o.controllerPort}`,
    `listeners=PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${o.host}:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${p.storage}`,
    'num.partitions=1',
    // Single node: internal topics cannot have more replicas than there are brokers.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests and local runs join groups constantly; the default 3 s delay only slows them down.
    'group.initial.rebalance.delay.ms=0',
    // Topics are provisioned explicitly from the catalogue; a typo must not create a topic.
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    '',
  ].join('\n');
  fs.writeFileSync(p.config, properties);
  fs.writeFileSync(
    p.log4j,
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = STDOUT',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.out.ref = STDOUT',
      'logger.kafka.name = kafka',
      'logger.kafka.level = INFO',
      'logger.state.name = state.change.logger',
      'logger.state.level = WARN',
      '',
    ].join('\n'),
  );
  return p;
}

/**
 * @param {BrokerOptions} o
 * @param {string} libs
 */
function javaArgs(o, libs) {
  return [
    `-Xmx${o.heap}`,
    `-Xms${o.heap}`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${paths(o).log4j}`,
    '-cp',
    `${libs}${path.sep}*`,
  ];
}

/**
 * Formats KRaft storage once; a formatted folder keeps its cluster id across restarts.
 * @param {BrokerOptions} o
 * @param {string} libs
 */
function formatStorage(o, libs) {
  const p = paths(o);
  if (fs.existsSync(path.join(p.storage, 'meta.properties'))) return false;
  // base64url ids may start with '-': passed as --cluster-id=<id> so the parser never reads a flag.
  const clusterId = randomBytes(16).toString('base64url');
  const result = spawnSync(
    'java',
    [
      ...javaArgs(o, libs),
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      '--config',
      p.config,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new BrokerError(
      `formatting KRaft storage failed:\n${(result.stdout + result.stderr).slice(-4000)}`,
    );
  }
  o.log(`formatted KRaft storage in ${path.relative(REPO_ROOT, p.storage)} (cluster ${clusterId})`);
  return true;
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * @typedef {{ pid: number, version: string, host: string, port: number, controllerPort: number, startedAt: string }} BrokerState
 */

/** @param {BrokerOptions} o @returns {BrokerState | undefined} */
function readState(o) {
  try {
    return JSON.parse(fs.readFileSync(paths(o).state, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Sends a real Metadata request; resolves with the broker list or rejects.
 * @param {string} brokers host:port
 * @param {number} timeoutMs
 */
async function metadata(brokers, timeoutMs = 3000) {
  const kafka = new Kafka({
    clientId: 'handoff-kafka-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [] });
    return await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Whether consumer groups can be served: the first FindCoordinator request makes the broker create
 * `__consumer_offsets`, and until its partitions have a leader every group join fails. Waiting here
 * means "ready" also holds for the first consumer group of a fresh broker.
 * @param {string} brokers host:port
 * @param {number} timeoutMs
 */
async function groupCoordinatorReady(brokers, timeoutMs) {
  const kafka = new Kafka({
    clientId: 'handoff-kafka-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    // The admin client fetches metadata and retries COORDINATOR_NOT_AVAILABLE on its own.
    retry: { retries: 5, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeGroups(['handoff-readiness-probe']);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts the broker unless one already answers on the port (then it is reused).
 * @param {Partial<BrokerOptions>} [overrides]
 * @returns {Promise<{ brokers: string, version: string, pid: number | undefined, reused: boolean, logFile: string }>}
 */
async function startBroker(overrides = {}) {
  const o = optionsFromEnv(process.env, overrides);
  const p = paths(o);
  const brokers = `${o.host}:${o.port}`;
  const state = readState(o);
  if (state && isAlive(state.pid)) {
    await waitUntilReady(o, state.pid);
    o.log(`Kafka ${state.version} already running on ${brokers} (pid ${state.pid}); reusing it`);
    return { brokers, version: state.version, pid: state.pid, reused: true, logFile: p.logFile };
  }
  if (
    await metadata(brokers, 1500).then(
      () => true,
      () => false,
    )
  ) {
    o.log(`a Kafka broker not started by this script already answers on ${brokers}; reusing it`);
    return { brokers, version: 'unknown (external)', pid: undefined, reused: true, logFile: p.logFile };
  }
  requireJava();
  const libs = installJars(o);
  writeConfig(o);
  formatStorage(o, libs);
  const logFd = fs.openSync(p.logFile, 'a');
  const child = spawn('java', [...javaArgs(o, libs), 'kafka.Kafka', p.config], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new BrokerError('could not spawn java');
  /** @type {BrokerState} */
  const newState = {
    pid,
    version: o.version,
    host: o.host,
    port: o.port,
    controllerPort: o.controllerPort,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(p.state, JSON.stringify(newState, null, 2));
  o.log(
    `starting Kafka ${o.version} on ${brokers} (pid ${pid}), log: ${path.relative(REPO_ROOT, p.logFile)}`,
  );
  try {
    await waitUntilReady(o, pid);
  } catch (error) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(p.state, { force: true });
    throw error;
  }
  o.log(`Kafka ${o.version} ready on ${brokers}`);
  return { brokers, version: o.version, pid, reused: false, logFile: p.logFile };
}

/**
 * Polls with Metadata requests until the broker answers, the process dies, or time runs out.
 * @param {BrokerOptions} o
 * @param {number} pid
 */
async function waitUntilReady(o, pid) {
  const deadline = Date.now() + o.startTimeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new BrokerError(
        `the Kafka broker (pid ${pid}) exited during start-up:\n${tail(paths(o).logFile)}`,
      );
    }
    try {
      await metadata(`${o.host}:${o.port}`, 2000);
      await groupCoordinatorReady(`${o.host}:${o.port}`, 2000);
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new BrokerError(
    `the Kafka broker did not answer a Metadata request within ${o.startTimeoutMs} ms (${lastError}):\n${tail(paths(o).logFile)}`,
  );
}

/** @param {string} file */
function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log file)';
  }
}

/**
 * Stops the broker this script started (SIGTERM, then SIGKILL after a grace period).
 * @param {Partial<BrokerOptions>} [overrides]
 * @returns {Promise<boolean>} whether a running broker was stopped
 */
async function stopBroker(overrides = {}) {
  const o = optionsFromEnv(process.env, overrides);
  const state = readState(o);
  if (!state || !isAlive(state.pid)) {
    fs.rmSync(paths(o).state, { force: true });
    o.log(`no broker started by this script is running on port ${o.port}`);
    return false;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(state.pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (isAlive(state.pid)) {
    o.log(`broker (pid ${state.pid}) ignored SIGTERM for 30 s; killing it`);
    process.kill(state.pid, 'SIGKILL');
  }
  fs.rmSync(paths(o).state, { force: true });
  o.log(`stopped Kafka ${state.version} on ${state.host}:${state.port} (pid ${state.pid})`);
  return true;
}

/**
 * @param {Partial<BrokerOptions>} [overrides]
 * @returns {Promise<{ running: boolean, pid?: number, version?: string, brokers: string, answers: boolean }>}
 */
async function brokerStatus(overrides = {}) {
  const o = optionsFromEnv(process.env, overrides);
  const state = readState(o);
  const brokers = `${o.host}:${o.port}`;
  const answers = await metadata(brokers, 2000).then(
    () => true,
    () => false,
  );
  if (state && isAlive(state.pid)) {
    return { running: true, pid: state.pid, version: state.version, brokers, answers };
  }
  return { running: false, brokers, answers };
}

async function main() {
  const command = process.argv[2];
  const o = optionsFromEnv(process.env);
  switch (command) {
    case 'start': {
      const started = await startBroker();
      process.stdout.write(`${started.brokers}\n`);
      return 0;
    }
    case 'stop':
      await stopBroker();
      return 0;
    case 'status': {
      const status = await brokerStatus();
      if (status.running) {
        process.stdout.write(
          `running: Kafka ${status.version} on ${status.brokers} (pid ${status.pid}), ${status.answers ? 'answering Metadata requests' : 'NOT answering Metadata requests'}\n`,
        );
        return status.answers ? 0 : 1;
      }
      process.stdout.write(
        `stopped: no broker started by this script on ${status.brokers}${status.answers ? ' (another broker answers there)' : ''}\n`,
      );
      return 3;
    }
    case 'install':
      requireJava();
      process.stdout.write(`${installJars(o)}\n`);
      return 0;
    default:
      process.stderr.write('usage: kafka-broker.cjs start|stop|status|install\n');
      return 2;
  }
}

module.exports = { startBroker, stopBroker, brokerStatus, optionsFromEnv, PINNED_KAFKA_VERSION, BrokerError };

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`kafka-broker: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

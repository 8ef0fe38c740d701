// @ts-check
/**
 * Runs the platform's services as processes: the sources are compiled once to JavaScript
 * (scripts/build.cjs, as the container images do; on-the-fly compilation in every process would cost
 * each about 40 MB more at rest), then one `node` process per service, logs in a file per service,
 * readiness through each service's `/health/ready`. Used by `npm start` and the cross-service e2e tests.
 */
'use strict';

const { spawn } = require('node:child_process');
const nodeCrypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { build } = require('../build.cjs');

const ROOT = path.resolve(__dirname, '../..');

/** The services, their default ports and what they are for, in the order they are listed. */
const SERVICES = /** @type {const} */ ([
  { name: 'conversations', port: 3001, what: 'ingestion, customers, tickets, timeline, CSAT' },
  { name: 'summarization', port: 3002, what: 'handoff briefs, repeat detection' },
  { name: 'escalation', port: 3003, what: 'handoffs, routing, offers, agents' },
  { name: 'ownership', port: 3004, what: 'accountable owner, history, shift handover, audit' },
  { name: 'insights', port: 3005, what: 'warning signs, handoff quality' },
]);

const ROLES = /** @type {const} */ (['agent', 'supervisor', 'auditor', 'integration', 'bot']);

/** The services present in this checkout (a folder with a `src/main.ts`). */
function availableServices() {
  return SERVICES.filter((s) => fs.existsSync(path.join(ROOT, 'services', s.name, 'src', 'main.ts')));
}

/**
 * Development API keys, one per role, for `tenantId`: minted on the first start and kept in
 * `file` (mode 0600) so that a second `npm start` prints the same keys. Only hashes reach the services.
 * @param {string} file
 * @param {string} tenantId
 * @returns {{ tenantId: string, keys: Record<string, string>, entries: string[] }}
 */
function devApiKeys(file, tenantId = 'demo') {
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (saved.tenantId === tenantId && ROLES.every((role) => typeof saved.keys?.[role] === 'string')) {
      return { tenantId, keys: saved.keys, entries: entriesOf(tenantId, saved.keys) };
    }
  }
  /** @type {Record<string, string>} */
  const keys = {};
  for (const role of ROLES) keys[role] = `hk_dev_${role}_${nodeCrypto.randomBytes(24).toString('base64url')}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ tenantId, keys }, null, 2)}\n`, { mode: 0o600 });
  return { tenantId, keys, entries: entriesOf(tenantId, keys) };
}

/**
 * @param {string} tenantId
 * @param {Record<string, string>} keys
 */
function entriesOf(tenantId, keys) {
  return Object.entries(keys).map(
    ([role, key]) =>
      `${tenantId}:${role}:${nodeCrypto.createHash('sha256').update(key, 'utf8').digest('hex')}`,
  );
}

/**
 * @typedef {object} ServiceProcess
 * @property {string} name
 * @property {string} url
 * @property {string} logFile
 * @property {import('node:child_process').ChildProcess} child
 * @property {Promise<number | null>} exited resolves with the exit code
 * @property {(signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>} stop
 */

/**
 * Starts one compiled service (see {@link startServices}) as a process. `env` is the service's whole
 * configuration (DATABASE_URL, KAFKA_BROKERS, API_KEYS, ...); PORT and HOST are set from `port`.
 * @param {{ name: string, port: number, env: NodeJS.ProcessEnv, logDir: string, buildDir: string }} options
 * @returns {ServiceProcess}
 */
function startService({ name, port, env, logDir, buildDir }) {
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(buildDir, 'services', name, 'src', 'main.js')], {
    cwd: ROOT,
    // The compiled output lives outside the repository: its packages come from the repository's.
    env: {
      ...env,
      PORT: String(port),
      HOST: env.HOST ?? '127.0.0.1',
      NODE_PATH: path.join(ROOT, 'node_modules'),
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  // As a shell reports it: 128 + the signal's number when the process ended on a signal.
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) =>
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null)),
    ),
  );
  /** @type {ServiceProcess} */
  const processHandle = {
    name,
    url: `http://127.0.0.1:${port}`,
    logFile,
    child,
    exited: /** @type {Promise<number | null>} */ (exited),
    stop: async (signal = 'SIGTERM', timeoutMs = 20_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        try {
          return await processHandle.exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return processHandle.exited;
    },
  };
  return processHandle;
}

/**
 * Waits until the service answers 200 on `/health/ready`, failing early when the process exits.
 * @param {ServiceProcess} service
 * @param {number} timeoutMs
 */
async function waitUntilReady(service, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let exitCode;
  void service.exited.then((code) => (exitCode = code));
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `${service.name} exited with code ${exitCode} before it was ready:\n${tail(service.logFile)}`,
      );
    }
    try {
      const response = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.name} not ready after ${timeoutMs} ms (${last}):\n${tail(service.logFile)}`);
}

/**
 * The last lines of a log file, for error messages.
 * @param {string} file
 * @param {number} lines
 */
function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Compiles the chosen services into `buildDir` (replacing what was there), starts each and waits
 * until all are ready; on a failure, stops the ones that started and rethrows.
 * `envOf` adds settings of one service (e.g. its consumer group) to the shared `env`.
 * @param {{ env: NodeJS.ProcessEnv, envOf?: (name: string) => NodeJS.ProcessEnv, logDir: string, buildDir: string, ports?: Partial<Record<string, number>>, readyTimeoutMs?: number, only?: string[] }} options
 * @returns {Promise<ServiceProcess[]>}
 */
async function startServices({ env, envOf, logDir, buildDir, ports = {}, readyTimeoutMs, only }) {
  const chosen = availableServices().filter((s) => !only || only.includes(s.name));
  build(
    chosen.map((s) => s.name),
    buildDir,
  );
  const started = chosen.map((s) =>
    startService({
      name: s.name,
      port: ports[s.name] ?? s.port,
      env: { ...env, ...(envOf ? envOf(s.name) : {}) },
      logDir,
      buildDir,
    }),
  );
  const results = await Promise.allSettled(started.map((s) => waitUntilReady(s, readyTimeoutMs)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed && failed.status === 'rejected') {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}

module.exports = {
  SERVICES,
  ROLES,
  availableServices,
  devApiKeys,
  startService,
  startServices,
  waitUntilReady,
  tail,
};

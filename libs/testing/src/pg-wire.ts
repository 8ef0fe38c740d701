import type { ClientBase, Pool } from 'pg';
import { overriding } from './overriding';

/**
 * Records what goes over a node-pg client's connection, in order: `write` for each write to its
 * socket, `ready` for each ReadyForQuery (a query answered). A test tells queries sent together
 * (their writes, then their answers back to back) from queries sent one at a time (each query's
 * writes, then its answer). Reads node-pg's connection internals (its `connection` and `stream`).
 */
export function watchWire(client: ClientBase, seen: string[]): void {
  const connection = (
    client as unknown as { connection: NodeJS.EventEmitter & { stream: NodeJS.WritableStream } }
  ).connection;
  const write = connection.stream.write.bind(connection.stream);
  connection.stream.write = ((...args: Parameters<typeof write>) => {
    seen.push('write');
    return write(...args);
  }) as typeof write;
  connection.on('readyForQuery', () => seen.push('ready'));
}

/** `pool` whose clients handed out by `connect()` are watched ({@link watchWire}) into `seen`. */
export function watchingWire(pool: Pool, seen: string[]): Pool {
  return overriding(pool, {
    connect: (async () => {
      const client = await pool.connect();
      watchWire(client, seen);
      return client;
    }) as Pool['connect'],
  });
}

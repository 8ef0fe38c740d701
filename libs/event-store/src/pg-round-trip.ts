import type { Writable } from 'node:stream';
import type { ClientBase, QueryConfig, QueryResult } from 'pg';

/**
 * Queries written to a connection together, without waiting for the answer to one before writing
 * the next (node-pg's pipeline mode, switched on for them and off again once every one is
 * answered): one round trip for all of them instead of one each. PostgreSQL runs them in order,
 * each ending with its own Sync, so each succeeds or fails on its own; inside a transaction a
 * failure aborts it for the queries after it, as it would one at a time. The client must be held by
 * the caller with nothing in flight. With a pg that has no pipeline mode they are sent one after the
 * other. Settles once every query is answered, with each one's outcome in order.
 */
export async function inOneRoundTrip(
  client: ClientBase,
  queries: readonly QueryConfig[],
): Promise<PromiseSettledResult<QueryResult>[]> {
  const pipelined = client as ClientBase & { pipeline?: unknown };
  if (pipelined.pipeline !== false) {
    const outcomes: PromiseSettledResult<QueryResult>[] = [];
    for (const query of queries) {
      outcomes.push(
        await client.query(query).then(
          (value): PromiseFulfilledResult<QueryResult> => ({ status: 'fulfilled', value }),
          (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
        ),
      );
    }
    return outcomes;
  }
  pipelined.pipeline = true;
  try {
    // node-pg corks the socket around each query's messages, so each query is one write. Corked
    // around all of them, they are one write together: one system call, and one wake-up of the
    // server's process instead of one per query.
    const stream = socketOf(client);
    stream?.cork();
    let answers: Promise<QueryResult>[];
    try {
      answers = queries.map((query) => client.query(query));
    } finally {
      stream?.uncork();
    }
    return await Promise.allSettled(answers);
  } finally {
    // Every query answered: nothing is left in flight on the connection.
    pipelined.pipeline = false;
  }
}

/**
 * {@link inOneRoundTrip}, each query's result in order; once every one is answered, the first
 * failure (in query order) is thrown instead.
 */
export async function answeredInOneRoundTrip(
  client: ClientBase,
  queries: readonly QueryConfig[],
): Promise<QueryResult[]> {
  const outcomes = await inOneRoundTrip(client, queries);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<QueryResult>).value);
}

/** The connection's socket, where this pg exposes it (`client.connection.stream`). */
function socketOf(client: ClientBase): { cork(): void; uncork(): void } | undefined {
  const stream = (client as ClientBase & { connection?: { stream?: Partial<Writable> } }).connection?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Writable)
    : undefined;
}

import type { AppendResult, PostgresEventStore, RecordedEvent, StreamAppend } from '@handoff/event-store';
import { type AppendWithReadModel, ReadModelConflict } from '../application/conversations.ports';
import { ownEventsStatements } from './conversations.projection';

/** Positions remembered for the projection runner at most (a runner that stopped leaves them). */
const MAX_REMEMBERED = 100_000;

/**
 * The read model written in the append's own transaction (the PostgreSQL store, in the read model's
 * database): the rows of the service's own events commit with the events. The ingestion rounds of
 * callers that wait for the read model (`POST /v1/messages`) append through it, so they neither
 * wait for the projection before they answer (read-your-writes) nor while they hold customers'
 * locks (the next message of a customer must see the ticket the previous one opened).
 *
 * The projection runner still follows every event: it moves its checkpoint over these and skips
 * their rows ({@link writtenAlready}). After a restart it meets them again without that memory and
 * applies them a second time, which leaves the rows as they are: its statements are idempotent, and a
 * thread is never moved back by an older message (`ticket_threads.position`).
 */
export class InlineProjection implements AppendWithReadModel {
  private readonly written = new Set<bigint>();
  private readonly prefixes: readonly string[];

  constructor(
    private readonly store: PostgresEventStore,
    categories: readonly string[],
  ) {
    this.prefixes = categories.map((category) => `${category}-`);
  }

  async appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    const remembered: bigint[] = [];
    try {
      return await this.store.appendToStreams(appends, {
        // The rows' statements go with the transaction's COMMIT, in one round trip.
        statementsWithin: (recorded) => {
          const own = recorded.filter((event) =>
            this.prefixes.some((prefix) => event.streamName.startsWith(prefix)),
          );
          // Remembered before the commit: the runner cannot meet these events earlier. A commit that
          // fails leaves positions no event will ever have: forgotten below, or with the oldest.
          for (const event of own) {
            this.written.add(event.globalPosition);
            remembered.push(event.globalPosition);
          }
          for (const oldest of this.written) {
            if (this.written.size <= MAX_REMEMBERED) break;
            this.written.delete(oldest);
          }
          return ownEventsStatements(own);
        },
      });
    } catch (error) {
      for (const position of remembered) this.written.delete(position);
      // A row statement (the store rethrows their errors as they are) that ran into another
      // transaction's rows: nothing was written.
      if (isLockConflict(error)) throw new ReadModelConflict({ cause: error });
      throw error;
    }
  }

  /** The projection runner's `skip`: whether the event's rows were written with it (asked once). */
  readonly writtenAlready = (event: RecordedEvent): boolean => this.written.delete(event.globalPosition);
}

/** PostgreSQL broke a deadlock or a serialisation failure by rolling this transaction back. */
function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

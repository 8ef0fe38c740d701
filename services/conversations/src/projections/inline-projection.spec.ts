import type { PostgresEventStore, RecordedEvent } from '@handoff/event-store';
import type { PoolClient } from 'pg';
import { ReadModelConflict } from '../application/conversations.ports';
import { InlineProjection } from './inline-projection';

// What the read-model statements run into inside the append's transaction reaches the ingestion as
// the port says: a deadlock (or serialisation failure) as ReadModelConflict, anything else as it is.
// The store is a stand-in that runs the work on a client whose statements fail as PostgreSQL's would;
// the real append transaction is covered by the event store's and the ingestion's integration specs.
const opened: RecordedEvent = {
  eventId: '00000000-0000-7000-8000-000000000001',
  type: 'TicketOpened',
  schemaVersion: 1,
  data: {
    ticketId: 't1',
    tenantId: 'tenant-a',
    customerId: 'c1',
    channel: 'email',
    openedBy: { kind: 'customer', id: 'c1' },
  },
  metadata: {
    tenantId: 'tenant-a',
    correlationId: 'c',
    actor: { kind: 'customer', id: 'c1' },
    occurredAt: '2026-11-30T10:00:00.000Z',
  },
  streamName: 'ticket-t1',
  revision: 0n,
  globalPosition: 7n,
  recordedAt: new Date('2026-11-30T10:00:00.000Z'),
  prevHash: '',
  hash: '',
};

function storeFailingWith(code: string) {
  const failure = Object.assign(new Error(`failed with ${code}`), { code });
  const client = { query: () => Promise.reject(failure) } as unknown as PoolClient;
  const store = {
    appendToStreams: async (
      _appends: unknown,
      options: { withinTransaction: (recorded: RecordedEvent[], tx: PoolClient) => Promise<void> },
    ) => {
      await options.withinTransaction([opened], client);
      return [];
    },
  } as unknown as PostgresEventStore;
  return { store, failure };
}

describe('InlineProjection', () => {
  it.each(['40P01', '40001'])(
    'reports a lock conflict (%s) of its rows as ReadModelConflict',
    async (code) => {
      const { store, failure } = storeFailingWith(code);
      const inline = new InlineProjection(store, ['ticket']);
      const error = await inline.appendToStreams([]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadModelConflict);
      expect((error as ReadModelConflict).cause).toBe(failure);
      // Nothing committed: the event is not reported as written to the projection runner.
      expect(inline.writtenAlready(opened)).toBe(false);
    },
  );

  it('passes any other failure on unchanged', async () => {
    const { store, failure } = storeFailingWith('23505');
    await expect(new InlineProjection(store, ['ticket']).appendToStreams([])).rejects.toBe(failure);
  });
});

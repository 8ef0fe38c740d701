import type { PostgresEventStore, RecordedEvent } from '@handoff/event-store';
import type { QueryConfig } from 'pg';
import { ReadModelConflict } from '../application/conversations.ports';
import { InlineProjection } from './inline-projection';

// What the read-model statements run into inside the append's transaction reaches the ingestion as
// the port says: a deadlock (or serialisation failure) as ReadModelConflict, anything else as it is.
// The store is a stand-in that takes the statements and fails as the PostgreSQL store does when one
// of them fails (its error rethrown as it is); the real append transaction is covered by the event
// store's and the ingestion's integration specs.
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
  const sent: QueryConfig[][] = [];
  const store = {
    appendToStreams: (
      _appends: unknown,
      options: { statementsWithin: (recorded: RecordedEvent[]) => readonly QueryConfig[] },
    ) => {
      sent.push([...options.statementsWithin([opened])]);
      return Promise.reject(failure);
    },
  } as unknown as PostgresEventStore;
  return { store, failure, sent };
}

describe('InlineProjection', () => {
  it.each(['40P01', '40001'])(
    'reports a lock conflict (%s) of its rows as ReadModelConflict',
    async (code) => {
      const { store, failure, sent } = storeFailingWith(code);
      const inline = new InlineProjection(store, ['ticket']);
      const error = await inline.appendToStreams([]).catch((e: unknown) => e);
      // The opened ticket's row statement was handed to the store.
      expect(sent).toHaveLength(1);
      expect(sent[0]?.map((statement) => statement.text)).toEqual([
        expect.stringContaining('INSERT INTO conversations.tickets'),
      ]);
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

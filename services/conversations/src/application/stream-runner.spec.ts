import { type EventMetadata, InMemoryEventStore, type StreamRead } from '@handoff/event-store';
import {
  evolveTicket,
  initialTicketState,
  type TicketCommand,
  type TicketState,
  ticketDecider,
} from '../domain/ticket.decider';
import { execute, executeOnNewStream, loadStreams, StreamStateCache } from './stream-runner';

const metadata: EventMetadata = {
  tenantId: 'tenant-a',
  ticketId: 't1',
  correlationId: 'c',
  actor: { kind: 'customer', id: 'cust-1' },
  occurredAt: '2026-11-29T10:00:00.000Z',
};

const receive = (messageId: string, open = false): TicketCommand => ({
  type: 'ReceiveMessage',
  ticketId: 't1',
  tenantId: 'tenant-a',
  message: {
    messageId,
    customerId: 'cust-1',
    channel: 'web_chat',
    channelMessageId: `cm-${messageId}`,
    sender: { kind: 'customer', id: 'cust-1' },
    text: messageId,
    attachments: [],
    sentAt: '2026-11-29T10:00:00.000Z',
  },
  ...(open ? { open: { openedBy: { kind: 'customer' as const, id: 'cust-1' } } } : {}),
  reopenIfClosed: false,
});

/** The in-memory store, counting stream reads. */
function countingStore() {
  const store = new InMemoryEventStore();
  const reads = { count: 0 };
  const readStream = store.readStream.bind(store);
  store.readStream = (...args) => {
    reads.count += 1;
    return readStream(...args);
  };
  return { store, reads };
}

const sequenceOf = (state: TicketState, messageId: string) =>
  state.status === 'none' ? undefined : state.sequences.of(messageId);

describe('stream runner', () => {
  it('opens a new stream without reading it first', async () => {
    const { store, reads } = countingStore();
    const cache = new StreamStateCache();
    const opened = await executeOnNewStream(
      store,
      'ticket-t1',
      ticketDecider,
      receive('m1', true),
      metadata,
      cache,
    );
    expect(reads.count).toBe(0);
    expect(opened.events.map((e) => e.type)).toEqual(['TicketOpened', 'MessageReceived']);
    expect((await store.readStream('ticket-t1')).map((e) => e.type)).toEqual([
      'TicketOpened',
      'MessageReceived',
    ]);
  });

  it('falls back to reading when a stream expected to be new exists (a repeated plan appends nothing)', async () => {
    const { store } = countingStore();
    await execute(store, 'ticket-t1', ticketDecider, receive('m1', true), metadata);
    const again = await executeOnNewStream(store, 'ticket-t1', ticketDecider, receive('m1', true), metadata);
    expect(again.events).toEqual([]);
    expect(again.position).toBeUndefined();
    expect(sequenceOf(again.state, 'm1')).toBe(1);
    expect(await store.readStream('ticket-t1')).toHaveLength(2);
  });

  it('appends on the cached state without reading when no other writer appended', async () => {
    const { store, reads } = countingStore();
    const cache = new StreamStateCache();
    await executeOnNewStream(store, 'ticket-t1', ticketDecider, receive('m1', true), metadata, cache);
    const second = await execute(store, 'ticket-t1', ticketDecider, receive('m2'), metadata, cache);
    expect(reads.count).toBe(0);
    expect(sequenceOf(second.state, 'm2')).toBe(2);
  });

  it('reads and decides again when another writer appended since the state was cached', async () => {
    const { store } = countingStore();
    const cache = new StreamStateCache();
    await executeOnNewStream(store, 'ticket-t1', ticketDecider, receive('m1', true), metadata, cache);
    // Another replica (another cache) adds m2.
    await execute(store, 'ticket-t1', ticketDecider, receive('m2'), metadata, new StreamStateCache());
    const third = await execute(store, 'ticket-t1', ticketDecider, receive('m3'), metadata, cache);
    expect(sequenceOf(third.state, 'm3')).toBe(3);
    const stored = await store.readStream('ticket-t1');
    expect(stored.map((e) => (e.data as { sequence?: number }).sequence)).toEqual([undefined, 1, 2, 3]);
  });

  it('does not trust a no-op decided on a cached state: a repeat is checked against the stream', async () => {
    const { store, reads } = countingStore();
    const cache = new StreamStateCache();
    await executeOnNewStream(store, 'ticket-t1', ticketDecider, receive('m1', true), metadata, cache);
    const repeat = await execute(store, 'ticket-t1', ticketDecider, receive('m1'), metadata, cache);
    expect(repeat.events).toEqual([]);
    expect(reads.count).toBe(1);
  });
});

describe('loadStreams', () => {
  const ticket = (id: string) => ({ ...receive(`${id}-m1`, true), ticketId: id });

  it('folds many streams in one read, brings cached states up to date and leaves missing ones out', async () => {
    const store = new InMemoryEventStore();
    const reads: StreamRead[][] = [];
    const readStreams = store.readStreams.bind(store);
    store.readStreams = (requested) => {
      reads.push([...requested]);
      return readStreams(requested);
    };
    const cache = new StreamStateCache();
    await executeOnNewStream(store, 'ticket-a', ticketDecider, ticket('a'), metadata, cache);
    await executeOnNewStream(store, 'ticket-b', ticketDecider, ticket('b'), metadata, new StreamStateCache());
    // Another writer extends a, whose cached state is now one message behind.
    await execute(
      store,
      'ticket-a',
      ticketDecider,
      { ...receive('a-m2'), ticketId: 'a' },
      metadata,
      new StreamStateCache(),
    );

    const loaded = await loadStreams(
      store,
      ['ticket-a', 'ticket-b', 'ticket-none', 'ticket-a'],
      evolveTicket,
      initialTicketState,
      cache,
    );
    expect(reads).toEqual([
      [{ stream: 'ticket-a', fromRevision: 2n }, { stream: 'ticket-b' }, { stream: 'ticket-none' }],
    ]);
    expect([...loaded.keys()]).toEqual(['ticket-a', 'ticket-b']);
    expect(sequenceOf(loaded.get('ticket-a')!.state, 'a-m2')).toBe(2);
    expect(loaded.get('ticket-b')?.revision).toBe(1n);
    expect(cache.get('ticket-b')?.revision).toBe(1n);

    // Trusting the cache reads only what is not cached, and takes the cached state as it is.
    reads.length = 0;
    await execute(
      store,
      'ticket-b',
      ticketDecider,
      { ...receive('b-m2'), ticketId: 'b' },
      metadata,
      new StreamStateCache(),
    );
    const trusted = await loadStreams(
      store,
      ['ticket-a', 'ticket-b'],
      evolveTicket,
      initialTicketState,
      cache,
      {
        trustCache: true,
      },
    );
    expect(reads).toEqual([]);
    expect(trusted.get('ticket-b')?.revision).toBe(1n);
  });
});

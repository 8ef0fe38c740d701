import { deciderSpec } from '@handoff/testing';
import { WrongExpectedVersion } from './errors';
import { contractMetadata } from './event-store.contract';
import type { EventStore } from './event-store.port';
import { handleCommand, type Decider } from './handle-command';
import { InMemoryEventStore } from './in-memory-event-store.adapter';

type OwnershipEvent =
  { type: 'OwnerAssigned'; data: { owner: string } } | { type: 'TicketClosed'; data: Record<string, never> };
type OwnershipCommand = { type: 'Assign'; owner: string } | { type: 'Close' };
type Ownership = { status: 'unowned' } | { status: 'owned'; owner: string } | { status: 'closed' };

class AlreadyOwner extends Error {}
class TicketIsClosed extends Error {}

const ownership: Decider<OwnershipCommand, Ownership, OwnershipEvent> = {
  initialState: () => ({ status: 'unowned' }),
  evolve: (_state, event) => {
    switch (event.type) {
      case 'OwnerAssigned':
        return { status: 'owned', owner: event.data.owner };
      case 'TicketClosed':
        return { status: 'closed' };
    }
  },
  decide: (command, state) => {
    if (state.status === 'closed') throw new TicketIsClosed();
    switch (command.type) {
      case 'Assign':
        if (state.status === 'owned' && state.owner === command.owner) throw new AlreadyOwner();
        return [{ type: 'OwnerAssigned', data: { owner: command.owner } }];
      case 'Close':
        return [{ type: 'TicketClosed', data: {} }];
    }
  },
};

const metadata = contractMetadata();
const assign = (owner: string): OwnershipCommand => ({ type: 'Assign', owner });

describe('the test decider', () => {
  const spec = deciderSpec(ownership);
  it('refuses to assign the current owner', () =>
    spec
      .given([{ type: 'OwnerAssigned', data: { owner: 'a1' } }])
      .when(assign('a1'))
      .thenThrows(AlreadyOwner));
});

describe('handleCommand', () => {
  it('starts from the initial state on a new stream and appends at no-stream', async () => {
    const store = new InMemoryEventStore();
    const result = await handleCommand(store, 'ownership-t1', ownership, assign('a1'), { metadata });
    expect(result).toEqual({
      events: [{ type: 'OwnerAssigned', data: { owner: 'a1' } }],
      nextExpectedRevision: 0n,
      state: { status: 'owned', owner: 'a1' },
      position: (await store.readStream('ownership-t1'))[0]?.globalPosition,
    });
    const second = await handleCommand(store, 'ownership-t1', ownership, assign('a2'), { metadata });
    expect(second.nextExpectedRevision).toBe(1n);
    expect((await store.readStream('ownership-t1')).map((e) => e.data)).toEqual([
      { owner: 'a1' },
      { owner: 'a2' },
    ]);
  });

  it('folds the stream before deciding and lets decider errors through, writing nothing', async () => {
    const store = new InMemoryEventStore();
    await handleCommand(store, 'ownership-t2', ownership, assign('a1'), { metadata });
    await expect(
      handleCommand(store, 'ownership-t2', ownership, assign('a1'), { metadata }),
    ).rejects.toBeInstanceOf(AlreadyOwner);
    expect(await store.readStream('ownership-t2')).toHaveLength(1);
  });

  it('retries on a concurrent conflict, deciding again on the fresh state', async () => {
    const inner = new InMemoryEventStore();
    let reads = 0;
    // A concurrent writer closes the ticket between the first read and the append.
    const racing: EventStore = Object.assign(Object.create(inner) as EventStore, {
      readStream: async (...args: Parameters<EventStore['readStream']>) => {
        const events = await inner.readStream(...args);
        reads += 1;
        if (reads === 1)
          await inner.append(
            'ownership-t3',
            [{ type: 'OwnerAssigned', data: { owner: 'rival' }, metadata }],
            { expectedRevision: 'any' },
          );
        return events;
      },
    });
    await inner.append('ownership-t3', [{ type: 'OwnerAssigned', data: { owner: 'a0' }, metadata }], {
      expectedRevision: 'no-stream',
    });
    const result = await handleCommand(racing, 'ownership-t3', ownership, assign('a1'), { metadata });
    expect(reads).toBe(2);
    expect(result.nextExpectedRevision).toBe(2n);
    expect((await inner.readStream('ownership-t3')).map((e) => e.data)).toEqual([
      { owner: 'a0' },
      { owner: 'rival' },
      { owner: 'a1' },
    ]);
  });

  it('gives up after maxRetries conflicts with WrongExpectedVersion', async () => {
    const inner = new InMemoryEventStore();
    let reads = 0;
    const alwaysRacing: EventStore = Object.assign(Object.create(inner) as EventStore, {
      readStream: async (...args: Parameters<EventStore['readStream']>) => {
        reads += 1;
        const events = await inner.readStream(...args).catch(() => []);
        await inner.append(
          'ownership-t4',
          [{ type: 'OwnerAssigned', data: { owner: `r${reads}` }, metadata }],
          { expectedRevision: 'any' },
        );
        return events;
      },
    });
    await expect(
      handleCommand(alwaysRacing, 'ownership-t4', ownership, assign('a1'), { metadata, maxRetries: 2 }),
    ).rejects.toBeInstanceOf(WrongExpectedVersion);
    expect(reads).toBe(3);
  });

  it('appends nothing when the decider decides nothing', async () => {
    const store = new InMemoryEventStore();
    const quiet: Decider<OwnershipCommand, Ownership, OwnershipEvent> = { ...ownership, decide: () => [] };
    expect(await handleCommand(store, 'ownership-t5', quiet, assign('a1'), { metadata })).toEqual({
      events: [],
      nextExpectedRevision: 'no-stream',
      state: { status: 'unowned' },
    });
  });

  describe('with a known state', () => {
    /** A store that counts the stream reads. */
    const counting = () => {
      const inner = new InMemoryEventStore();
      const counter = { reads: 0 };
      const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
        readStream: (...args: Parameters<EventStore['readStream']>) => {
          counter.reads += 1;
          return inner.readStream(...args);
        },
      });
      return { inner, store, counter };
    };

    it('decides on it and appends at its revision without reading the stream', async () => {
      const { store, counter } = counting();
      const first = await handleCommand(store, 'ownership-k1', ownership, assign('a1'), {
        metadata,
        known: { state: ownership.initialState(), revision: 'no-stream' },
      });
      const second = await handleCommand(store, 'ownership-k1', ownership, assign('a2'), {
        metadata,
        known: { state: first.state, revision: first.nextExpectedRevision },
      });
      expect(counter.reads).toBe(0);
      expect(second).toEqual({
        events: [{ type: 'OwnerAssigned', data: { owner: 'a2' } }],
        nextExpectedRevision: 1n,
        state: { status: 'owned', owner: 'a2' },
        position: (await store.readStream('ownership-k1'))[1]?.globalPosition,
      });
    });

    it('reads and decides again when the stream moved since the state was known', async () => {
      const { inner, store, counter } = counting();
      await inner.append('ownership-k2', [{ type: 'OwnerAssigned', data: { owner: 'a0' }, metadata }], {
        expectedRevision: 'no-stream',
      });
      await inner.append('ownership-k2', [{ type: 'TicketClosed', data: {}, metadata }], {
        expectedRevision: 0n,
      });
      // Known as owned by a0 at revision 0: the close appended since makes the assignment fail.
      await expect(
        handleCommand(store, 'ownership-k2', ownership, assign('a1'), {
          metadata,
          known: { state: { status: 'owned', owner: 'a0' }, revision: 0n },
        }),
      ).rejects.toBeInstanceOf(TicketIsClosed);
      expect(counter.reads).toBe(1);
      expect(await inner.readStream('ownership-k2')).toHaveLength(2);
    });

    it('does not take a refusal decided on it as final: the stored stream decides', async () => {
      const { inner, store, counter } = counting();
      await inner.append('ownership-k3', [{ type: 'OwnerAssigned', data: { owner: 'a0' }, metadata }], {
        expectedRevision: 'no-stream',
      });
      await inner.append('ownership-k3', [{ type: 'OwnerAssigned', data: { owner: 'a1' }, metadata }], {
        expectedRevision: 0n,
      });
      // A stale state says a0 owns it, so assigning a0 is refused on it; the stream says a1 does.
      const result = await handleCommand(store, 'ownership-k3', ownership, assign('a0'), {
        metadata,
        known: { state: { status: 'owned', owner: 'a0' }, revision: 0n },
      });
      expect(counter.reads).toBe(1);
      expect(result.nextExpectedRevision).toBe(2n);
      expect(result.state).toEqual({ status: 'owned', owner: 'a0' });
    });
  });

  it('reads the state through `load` when given one, and decides again on what it returns after a conflict', async () => {
    const store = new InMemoryEventStore();
    await store.append('ownership-l1', [{ type: 'OwnerAssigned', data: { owner: 'a0' }, metadata }], {
      expectedRevision: 'no-stream',
    });
    // A loader that knows the stream only up to revision 0 at first (as a stale cache would be),
    // while the stream holds a second event: the append at revision 0 conflicts, and the next load
    // is the whole stream.
    await store.append('ownership-l1', [{ type: 'OwnerAssigned', data: { owner: 'a1' }, metadata }], {
      expectedRevision: 0n,
    });
    const loads: (bigint | 'no-stream')[] = [];
    const load = async () => {
      const events = await store.readStream('ownership-l1');
      const known = loads.length === 0 ? events.slice(0, 1) : events;
      const state = known.reduce(
        (current, e) => ownership.evolve(current, { type: e.type, data: e.data } as OwnershipEvent),
        ownership.initialState(),
      );
      const revision: bigint | 'no-stream' = known.at(-1)?.revision ?? 'no-stream';
      loads.push(revision);
      return { state, revision };
    };
    const result = await handleCommand(store, 'ownership-l1', ownership, assign('a2'), { metadata, load });
    expect(loads).toEqual([0n, 1n]);
    expect(result.nextExpectedRevision).toBe(2n);
    expect(result.position).toBe((await store.readStream('ownership-l1'))[2]?.globalPosition);
  });
});
